"""Argument checks shared by resolvers: bad input is refused before it reaches Cypher."""

from __future__ import annotations

import re

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
