"""Argument checks shared by resolvers: bad input is refused before it reaches Cypher."""

from __future__ import annotations

import re

from graph import IdentityKind, InvalidIdentity, normalise_identity
from resolvers.errors import BadUserInput

_KEY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:\-]{0,127}$")


def check_key(value: str, argument: str) -> str:
    """An entity key (customer id, SKU, store id): short, printable, no spaces."""
    if not _KEY.match(value):
        raise BadUserInput(f"`{argument}` is not a valid key: {value[:80]!r}", argument=argument)
    return value


_IDEMPOTENCY_KEY = re.compile(r"^[A-Za-z0-9_.:\-]{8,128}$")


def check_idempotency_key(value: str) -> str:
    """A client's idempotency key: 8 to 128 letters, digits or ``_.:-``."""
    if not _IDEMPOTENCY_KEY.match(value):
        raise BadUserInput(
            "`idempotencyKey` must be 8 to 128 letters, digits or `_.:-`",
            argument="idempotencyKey",
        )
    return value


def identity_value(kind: IdentityKind, value: str, phone_region: str) -> str:
    """An identifier ``value`` in its stored form (a phone without its country code read in
    ``phone_region``); BAD_USER_INPUT on ``value`` when it cannot be one of its kind."""
    try:
        return normalise_identity(kind, value, phone_region=phone_region)
    except InvalidIdentity as exc:
        raise BadUserInput(str(exc), argument="value") from exc
