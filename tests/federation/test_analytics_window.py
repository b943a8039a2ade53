"""The window of ``analytics(from, to)``: a refused window says which argument to change."""

from __future__ import annotations

import pytest

from tests.conftest import Gateway

QUERY = "query($f: DateTime!, $t: DateTime!) { analytics(from: $f, to: $t) { transactions } }"


@pytest.mark.parametrize(
    ("start", "end", "argument"),
    [
        ("2031-03-01T00:00:00", "2031-04-01T00:00:00Z", "from"),  # no timezone
        ("2031-03-01T00:00:00Z", "2031-04-01T00:00:00", "to"),  # no timezone
        ("2031-04-01T00:00:00Z", "2031-03-01T00:00:00Z", "from"),  # reversed
        ("2031-03-01T00:00:00Z", "2031-03-01T00:00:00Z", "from"),  # empty: to is excluded
        ("2031-03-01T00:00:00Z", "2032-03-02T00:00:00Z", "to"),  # 367 days
    ],
)
async def test_a_refused_window_names_the_argument_to_change(
    fed: Gateway, start: str, end: str, argument: str
):
    body = await fed.query(QUERY, {"f": start, "t": end})
    assert body["data"] == {"analytics": None}
    [error] = body["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert error["extensions"]["argument"] == argument, error
    assert f"`{argument}`" in error["message"]
