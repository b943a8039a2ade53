"""Identity kinds and how identifier values are normalised before they touch the graph.

Two channels spelling the same email or phone differently must meet on one ``Identity`` node, so
every value is normalised here, once, on the way in (writes and look-ups alike).
"""

from __future__ import annotations

import re
from enum import StrEnum


class IdentityKind(StrEnum):
    """The identifiers a customer can be known by, one per channel system or device."""

    EMAIL = "email"
    PHONE = "phone"
    LOYALTY_CARD = "loyalty_card"
    WEB_ANONYMOUS_ID = "web_anonymous_id"
    APP_INSTALL_ID = "app_install_id"
    POS_CUSTOMER_NUMBER = "pos_customer_number"
    CONTACT_CENTRE_ID = "contact_centre_id"


class InvalidIdentity(ValueError):
    """An identifier value that cannot be of its kind."""


_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_TOKEN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:\-]{0,127}$")
MAX_VALUE_LENGTH = 254


def normalise_identity(kind: IdentityKind, value: str) -> str:
    """The canonical form of ``value`` for ``kind``; :class:`InvalidIdentity` when impossible.

    Example:
        >>> normalise_identity(IdentityKind.EMAIL, "  Alice@Example.COM ")
        'alice@example.com'
        >>> normalise_identity(IdentityKind.PHONE, "+33 6 12-34-56-78")
        '+33612345678'
    """
    cleaned = value.strip()
    if not cleaned:
        raise InvalidIdentity(f"an empty value is not a valid {kind.value}")
    if len(cleaned) > MAX_VALUE_LENGTH:
        raise InvalidIdentity(f"a {kind.value} is at most {MAX_VALUE_LENGTH} characters")
    if kind is IdentityKind.EMAIL:
        lowered = cleaned.lower()
        if not _EMAIL.match(lowered):
            raise InvalidIdentity(f"{value!r} is not an email address")
        return lowered
    if kind is IdentityKind.PHONE:
        digits = re.sub(r"[\s().\-]", "", cleaned)
        if not re.fullmatch(r"\+?[0-9]{6,15}", digits):
            raise InvalidIdentity(f"{value!r} is not a phone number")
        return digits
    if not _TOKEN.match(cleaned):
        raise InvalidIdentity(f"{value!r} is not a valid {kind.value}")
    return cleaned.upper() if kind is IdentityKind.LOYALTY_CARD else cleaned
