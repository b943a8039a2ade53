"""Identity kinds and how identifier values are normalised before they touch the graph.

Two channels spelling the same email or phone differently must meet on one ``Identity`` node, so
every value is normalised here, once, on the way in (writes and look-ups alike). A phone is stored
in E.164 (``+33612345678``), read by libphonenumber; a number written without its country code
(``06 12 34 56 78``, ``00 33 6…``) is read in a default region that every gateway instance gets
from the same setting. This module never reads settings itself.
"""

from __future__ import annotations

import re
from enum import StrEnum

import phonenumbers


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


# No comma: systems are asked about several emails as one comma-separated list (the OMS's
# `customerEmails`), where "x,victim@example.com" would read as two, one maybe someone else's.
_EMAIL = re.compile(r"^[^@\s,]+@[^@\s,]+\.[^@\s,]+$")
_TOKEN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:\-]{0,127}$")
# What a phone may be written with: libphonenumber alone would also read "call 06 12 34 56 78"
# or "1-800-FLOWERS"; an identifier is the number and its usual separators, nothing else.
_PHONE_CHARACTERS = re.compile(r"\+?[0-9\s().\-]+")
MAX_VALUE_LENGTH = 254
DEFAULT_PHONE_REGION = "FR"
PHONE_REGIONS: frozenset[str] = frozenset(phonenumbers.SUPPORTED_REGIONS)
_POSSIBLE_PHONE_PROBLEMS = {
    phonenumbers.ValidationResult.INVALID_COUNTRY_CODE: "has no known country code",
    phonenumbers.ValidationResult.TOO_SHORT: "is too short",
    phonenumbers.ValidationResult.TOO_LONG: "is too long",
    phonenumbers.ValidationResult.INVALID_LENGTH: "has no length a number of its country has",
    phonenumbers.ValidationResult.IS_POSSIBLE_LOCAL_ONLY: "lacks its area code",
}


def normalise_identity(
    kind: IdentityKind, value: str, *, phone_region: str = DEFAULT_PHONE_REGION
) -> str:
    """The canonical form of ``value`` for ``kind``; :class:`InvalidIdentity` when impossible.

    ``phone_region`` (ISO 3166 code, one of :data:`PHONE_REGIONS`) is where a phone number
    written without ``+`` and its country code is read.

    Example:
        >>> normalise_identity(IdentityKind.EMAIL, "  Alice@Example.COM ")
        'alice@example.com'
        >>> normalise_identity(IdentityKind.PHONE, "06 12-34-56-78")
        '+33612345678'
        >>> normalise_identity(IdentityKind.PHONE, "(650) 253-0000", phone_region="US")
        '+16502530000'
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
        return _e164(cleaned, value, phone_region)
    if not _TOKEN.match(cleaned):
        raise InvalidIdentity(f"{value!r} is not a valid {kind.value}")
    return cleaned.upper() if kind is IdentityKind.LOYALTY_CARD else cleaned


def _e164(cleaned: str, value: str, region: str) -> str:
    """The E.164 form of a phone number that libphonenumber finds possible (its length fits its
    country; whether the number is assigned is not checked, so new ranges are not refused)."""
    if not _PHONE_CHARACTERS.fullmatch(cleaned):
        raise InvalidIdentity(f"{value!r} is not a phone number")
    try:
        number = phonenumbers.parse(cleaned, region)
    except phonenumbers.NumberParseException as exc:
        reason = str(exc.args[0]).rstrip(".")
        raise InvalidIdentity(
            f"{value!r} is not a phone number (read in region {region}): {reason}"
        ) from None
    problem = _POSSIBLE_PHONE_PROBLEMS.get(phonenumbers.is_possible_number_with_reason(number))
    if problem is not None:
        raise InvalidIdentity(f"{value!r} is not a possible phone number: it {problem}")
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    # A few impossible national forms (a German "0000000") give an E.164 value that reads back as
    # another number: refused, since a stored value must normalise to itself.
    if _read_back(e164) != e164:
        raise InvalidIdentity(f"{value!r} is not a possible phone number: it has no E.164 form")
    return e164


def _read_back(e164: str) -> str | None:
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
