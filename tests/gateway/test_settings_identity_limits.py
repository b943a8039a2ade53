"""Stitching limits stay within what the systems asked about every identity of a kind take."""

import pytest
from pydantic import ValidationError

from gateway.settings import Settings
from graph import IdentityKind


@pytest.mark.parametrize("kind", ["email", "contact_centre_id"])
def test_a_customer_may_hold_at_most_the_identities_one_system_call_takes(kind: str) -> None:
    assert Settings(stitch_limits={kind: 20}).stitch_limits == {IdentityKind(kind): 20}
    with pytest.raises(ValidationError, match="at most 20"):
        Settings(stitch_limits={kind: 21})


def test_other_kinds_keep_their_own_limits() -> None:
    assert Settings(stitch_limits={"web_anonymous_id": 50}).stitch_limits == {
        IdentityKind.WEB_ANONYMOUS_ID: 50
    }
