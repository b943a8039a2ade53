"""Bad argument values the schema probe (``test_argument_probe``) found accepted or misreported,
each pinned by the probe's failing case."""

from __future__ import annotations

import base64

import orjson
import pytest

from graph import GraphDatabase
from tests.conftest import Gateway
from tests.hostile._probe import ProbeCustomer, first_cursors, new_probe_customer

# Each time-ordered list, and the list whose cursor it is given.
LISTS = {
    "history": ("customer(id: $c) { history(first: 2, after: $after) { __typename } }", "journeys"),
    "journeys": (
        "customer(id: $c) { journeys(first: 2, after: $after) { __typename } }",
        "history",
    ),
    "identityConflicts": (
        "customer(id: $c) { identityConflicts(first: 2, after: $after) { __typename } }",
        "history",
    ),
    "merges": ("customer(id: $c) { merges(first: 2, after: $after) { __typename } }", "history"),
    "auditLog": ("auditLog(first: 2, after: $after) { __typename }", "history"),
    "forcedContacts": (
        "analytics { forcedContacts(first: 2, after: $after) { __typename } }",
        "history",
    ),
}


@pytest.fixture
async def held(graph: GraphDatabase) -> ProbeCustomer:
    return await new_probe_customer(graph)


async def _page(gateway: Gateway, name: str, customer: str, after: str) -> dict[str, object]:
    selection, _ = LISTS[name]
    declared = "$c: ID!, $after: String" if "$c" in selection else "$after: String"
    variables = {"after": after} | ({"c": customer} if "$c" in selection else {})
    return await gateway.query(f"query({declared}) {{ {selection} }}", variables)


@pytest.mark.parametrize("name", list(LISTS))
async def test_a_cursor_of_another_list_is_refused_as_a_bad_after(
    gateway: Gateway, held: ProbeCustomer, name: str
) -> None:
    # A history cursor given to the journeys (or any other time-ordered list) was read as a
    # position in it: same shape (a time and an id), so the page silently started elsewhere.
    cursors = await first_cursors(gateway, held.customer)
    body = await _page(gateway, name, held.customer, cursors[LISTS[name][1]])
    [error] = body["errors"]  # type: ignore[misc]
    assert error["extensions"]["code"] == "BAD_USER_INPUT", error
    assert error["extensions"]["argument"] == "after", error


@pytest.mark.parametrize("name", ["history", "journeys"])
async def test_a_list_takes_its_own_cursors_and_those_issued_before_they_named_it(
    gateway: Gateway, held: ProbeCustomer, name: str
) -> None:
    own = (await first_cursors(gateway, held.customer))[name]
    legacy = orjson.loads(base64.urlsafe_b64decode(own))
    legacy.pop("of")
    for cursor in (own, base64.urlsafe_b64encode(orjson.dumps(legacy)).decode()):
        body = await _page(gateway, name, held.customer, cursor)
        assert "errors" not in body, body


async def test_an_empty_audit_log_cursor_is_refused_not_read_as_the_first_page(
    gateway: Gateway,
) -> None:
    body = await _page(gateway, "auditLog", "", "")
    [error] = body["errors"]  # type: ignore[misc]
    assert (error["extensions"]["code"], error["extensions"]["argument"]) == (
        "BAD_USER_INPUT",
        "after",
    )


@pytest.mark.parametrize("text", ["Al\x00ice", "Alice\x1b[2J\x07"])
async def test_a_name_search_with_control_characters_is_refused(
    gateway: Gateway, text: str
) -> None:
    # A NUL or an escape sequence was searched for as is (and matched nobody, with no error).
    body = await gateway.query(
        "query($q: String!) { searchCustomers(query: $q) { __typename } }", {"q": text}
    )
    [error] = body["errors"]  # type: ignore[misc]
    assert (error["extensions"]["code"], error["extensions"]["argument"]) == (
        "BAD_USER_INPUT",
        "query",
    )
