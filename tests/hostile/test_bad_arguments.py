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


# An unknown id in each argument that names something: (document, variables, the argument).
UNKNOWN = {
    "customer": ("query($v: ID!) { customer(id: $v) { id } }", "id"),
    "product": ("query($v: ID!) { product(sku: $v) { sku } }", "sku"),
    "store": ("query($v: ID!) { store(id: $v) { id } }", "id"),
    "exportCustomer": ("query($v: ID!) { exportCustomer(id: $v) }", "id"),
    "customerByIdentity": (
        "query($v: String!) { customerByIdentity(kind: EMAIL, value: $v) { id } }",
        "value",
    ),
    "eraseCustomer": ("mutation($v: ID!) { eraseCustomer(id: $v) { replayed } }", "id"),
    "setConsent": (
        "mutation($v: ID!) { setConsent(customerId: $v, purpose: MARKETING, granted: false,"
        " channel: WEB) { granted } }",
        "customerId",
    ),
    "linkIdentity": (
        'mutation($v: ID!) { linkIdentity(customerId: $v, kind: EMAIL, value: "x@example.test",'
        " channel: WEB) { outcome } }",
        "customerId",
    ),
    "unlinkIdentity": (
        "mutation($v: ID!) { unlinkIdentity(customerId: $v, kind: EMAIL,"
        ' value: "x@example.test") }',
        "customerId",
    ),
    "resumeJourney": (
        "mutation($v: ID!) { resumeJourney(journeyId: $v, channel: WEB,"
        ' idempotencyKey: "probe-key-1") { journey { id } } }',
        "journeyId",
    ),
    "checkout": (
        "mutation($v: ID!) { checkout(cartId: $v, expectedVersion: 1, fulfilment: {type: DELIVERY},"
        ' idempotencyKey: "probe-key-2") { order { id } } }',
        "cartId",
    ),
    "addCartItem (customer)": (
        'mutation($v: ID!) { addCartItem(customerId: $v, sku: "FX-P1", channel: WEB,'
        ' idempotencyKey: "probe-key-3") { version } }',
        "customerId",
    ),
}


@pytest.mark.parametrize("case", list(UNKNOWN))
async def test_an_unknown_id_is_not_found_naming_its_argument(gateway: Gateway, case: str) -> None:
    # NOT_FOUND said what was missing in its message only: a client could not tell which of its
    # arguments to correct without parsing English.
    document, argument = UNKNOWN[case]
    value = "cus_nope_0123456789" if argument != "value" else "nobody-0123@example.test"
    body = await gateway.query(document, {"v": value})
    [error] = body["errors"]  # type: ignore[misc]
    assert error["extensions"]["code"] == "NOT_FOUND", error
    assert error["extensions"].get("argument") == argument, error


@pytest.mark.parametrize("sku", ["FX-NOPE-1", "FX-P6"])
async def test_a_cart_change_of_an_unknown_or_absent_product_names_sku(
    gateway: Gateway, held: ProbeCustomer, sku: str
) -> None:
    body = await gateway.query(
        "mutation($c: ID!, $s: ID!, $k: String!) { removeCartItem(customerId: $c, sku: $s,"
        " channel: WEB, idempotencyKey: $k) { version } }",
        {"c": held.customer, "s": sku, "k": f"probe-{sku}-{held.customer}"},
    )
    [error] = body["errors"]  # type: ignore[misc]
    assert (error["extensions"]["code"], error["extensions"].get("argument")) == (
        "NOT_FOUND",
        "sku",
    )


async def test_unlinking_an_identifier_the_customer_does_not_hold_names_value(
    gateway: Gateway, held: ProbeCustomer
) -> None:
    body = await gateway.query(
        "mutation($c: ID!) { unlinkIdentity(customerId: $c, kind: EMAIL,"
        ' value: "someone-else@example.test") }',
        {"c": held.customer},
    )
    [error] = body["errors"]  # type: ignore[misc]
    assert (error["extensions"]["code"], error["extensions"].get("argument")) == (
        "NOT_FOUND",
        "value",
    )


MALFORMED = {
    "EMAIL": ["alice.example.com", "a@@example.com", "alice@", "@example.com", "a b@example.com"],
    "PHONE": ["12", "+33 6 abc", "+999 1234567890123456", "phone", "+", "0" * 40],
}


@pytest.mark.parametrize(
    ("kind", "value"), [(kind, value) for kind, values in MALFORMED.items() for value in values]
)
async def test_a_malformed_email_or_phone_is_refused_naming_value(
    gateway: Gateway, held: ProbeCustomer, kind: str, value: str
) -> None:
    for document in (
        f"query($v: String!) {{ customerByIdentity(kind: {kind}, value: $v) {{ id }} }}",
        f"mutation($c: ID!, $v: String!) {{ linkIdentity(customerId: $c, kind: {kind},"
        " value: $v, channel: WEB) { outcome } }",
    ):
        body = await gateway.query(document, {"v": value, "c": held.customer})
        [error] = body["errors"]
        assert (error["extensions"]["code"], error["extensions"].get("argument")) == (
            "BAD_USER_INPUT",
            "value",
        ), (document, value, error)


# A literal of the wrong type, written in the document rather than sent in a variable.
LITERALS = {
    "{ product(sku: true) { sku } }": "sku",
    'mutation { setConsent(customerId: "x", purpose: NOPE, granted: true, channel: WEB)'
    " { granted } }": "purpose",
    '{ customer(id: "x") { history(first: "ten") { __typename } } }': "first",
    '{ customer(id: "x") { history(channels: [WEB, NOPE]) { __typename } } }': "channels",
    'mutation { checkout(cartId: "c", expectedVersion: 1, fulfilment: {type: DRONE},'
    ' idempotencyKey: "abcdefghij") { __typename } }': "fulfilment.type",
    # DateTime's literal parser raised without the value's node: no location, no argument.
    '{ analytics(from: "yesterday") { __typename } }': "from",
    "{ analytics(to: 1700000000) { __typename } }": "to",
    '{ analytics(from: "2026-10-01T00:00:00Z", to: "2026-13-01T00:00:00Z") { __typename } }': "to",
}


@pytest.mark.parametrize("document", list(LITERALS))
async def test_a_literal_of_the_wrong_type_names_its_argument(
    gateway: Gateway, document: str
) -> None:
    # graphql-core's message names the value's type ("Value 'NOPE' does not exist in
    # 'ConsentPurpose' enum."), not the argument: a client had only a line and a column.
    body = await gateway.query(document)
    [error] = body["errors"]
    assert error["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED", error
    assert error["extensions"].get("argument") == LITERALS[document], error


async def test_a_malformed_date_time_names_its_argument_as_a_variable_as_a_literal(
    gateway: Gateway,
) -> None:
    sent = await gateway.query(
        "query($from: DateTime) { analytics(from: $from) { __typename } }", {"from": "yesterday"}
    )
    [error] = sent["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT", error
    assert "$from" in error["message"], error
    written = await gateway.query('{ analytics(from: "yesterday") { __typename } }')
    [error] = written["errors"]
    assert error["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED", error
    assert error["extensions"]["argument"] == "from", error
    assert error["locations"] == [{"line": 1, "column": 19}], error
