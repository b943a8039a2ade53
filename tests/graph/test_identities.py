import pytest
from hypothesis import given
from hypothesis import strategies as st

from graph import IdentityKind, InvalidIdentity, normalise_identity

PHONE = IdentityKind.PHONE


@pytest.mark.parametrize(
    ("kind", "raw", "expected"),
    [
        (IdentityKind.EMAIL, "  Alice@Example.COM ", "alice@example.com"),
        (IdentityKind.PHONE, "+33 6 11-11-11-11", "+33611111111"),
        (IdentityKind.LOYALTY_CARD, "lc000000001", "LC000000001"),
        (IdentityKind.WEB_ANONYMOUS_ID, "web-alice-1", "web-alice-1"),
    ],
)
def test_identifiers_are_normalised_so_channels_meet_on_one_identity(kind, raw, expected):
    assert normalise_identity(kind, raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "06 12 34 56 78",
        "0612345678",
        "06.12.34.56.78",
        "06-12-34-56-78",
        "(0)6 12 34 56 78",
        "00 33 6 12 34 56 78",
        "0033612345678",
        "+33 6 12 34 56 78",
        "+33 (0)6 12 34 56 78",
        "+33612345678",
    ],
)
def test_every_spelling_of_a_french_phone_is_one_e164_value(raw):
    assert normalise_identity(PHONE, raw) == "+33612345678"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("+1 650 253 0000", "+16502530000"),
        ("+44 20 7946 0958", "+442079460958"),
        ("+39 06 1234 5678", "+390612345678"),  # Italy keeps its leading zero
        ("+32 470 12 34 56", "+32470123456"),
    ],
)
def test_a_number_with_its_country_code_keeps_its_country(raw, expected):
    assert normalise_identity(PHONE, raw) == expected


def test_a_national_number_is_read_in_the_region_asked_for():
    assert normalise_identity(PHONE, "0470 12 34 56", phone_region="BE") == "+32470123456"
    assert normalise_identity(PHONE, "(650) 253-0000", phone_region="US") == "+16502530000"
    assert normalise_identity(PHONE, "+33 6 12 34 56 78", phone_region="US") == "+33612345678"


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("call me", "is not a phone number"),
        ("call 06 12 34 56 78", "is not a phone number"),
        ("06 12 34 56 78 ext. 12", "is not a phone number"),
        ("1-800-FLOWERS", "is not a phone number"),
        ("123", "too short"),
        ("06 12 34", "too short"),
        ("+33 6 12 34 56 78 90", "too long"),
        ("+999 612 345 678", "is not a phone number"),
        ("+", "is not a phone number"),
        ("++33612345678", "is not a phone number"),
    ],
)
def test_a_phone_libphonenumber_cannot_read_or_finds_impossible_is_refused(raw, message):
    with pytest.raises(InvalidIdentity, match=message):
        normalise_identity(PHONE, raw)


def test_a_number_without_its_area_code_is_refused_rather_than_stored_half():
    with pytest.raises(InvalidIdentity, match="lacks its area code"):
        normalise_identity(PHONE, "253 0000", phone_region="US")


@pytest.mark.parametrize(
    ("kind", "raw"),
    [
        (IdentityKind.EMAIL, "not-an-email"),
        (IdentityKind.EMAIL, ""),
        # The OMS is asked for several emails as one comma-separated list: a comma would make
        # one identity read as two, one of them maybe another customer's.
        (IdentityKind.EMAIL, "x,victim@example.com"),
        (IdentityKind.PHONE, "call me"),
        (IdentityKind.LOYALTY_CARD, "LC 1' OR 1=1"),
        (IdentityKind.APP_INSTALL_ID, "x" * 300),
    ],
)
def test_impossible_identifiers_are_refused(kind, raw):
    with pytest.raises(InvalidIdentity):
        normalise_identity(kind, raw)


@given(kind=st.sampled_from(IdentityKind), raw=st.text(max_size=300))
def test_normalising_is_idempotent_for_any_text(kind, raw):
    try:
        once = normalise_identity(kind, raw)
    except InvalidIdentity:
        return
    assert normalise_identity(kind, once) == once


@given(
    raw=st.from_regex(r"\A(\+|00)?[0-9][0-9 .\-]{4,18}\Z"),
    region=st.sampled_from(["FR", "BE", "US", "IT", "RU", "DE"]),
)
def test_normalising_a_phone_is_idempotent_in_any_region(raw, region):
    try:
        once = normalise_identity(PHONE, raw, phone_region=region)
    except InvalidIdentity:
        return
    assert once.startswith("+")
    assert normalise_identity(PHONE, once, phone_region=region) == once
    assert normalise_identity(PHONE, once, phone_region="FR") == once
