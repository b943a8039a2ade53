import pytest
from hypothesis import given
from hypothesis import strategies as st

from graph import IdentityKind, InvalidIdentity, normalise_identity


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
    ("kind", "raw"),
    [
        (IdentityKind.EMAIL, "not-an-email"),
        (IdentityKind.EMAIL, ""),
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
