import pytest

from tests.conftest import Gateway
from tests.fixture_dataset import ALICE, ERIN

PROFILE = """
query($id: ID!) {
  customer(id: $id) {
    id displayName
    identities { kind value source confidence }
    devices { id kind os }
    cart { id version status itemCount lines { quantity addedVia product { sku name } } }
  }
}
"""


async def test_a_customer_is_read_with_identities_devices_and_the_shared_cart(gateway: Gateway):
    body = await gateway.query(PROFILE, {"id": ALICE})
    assert "errors" not in body
    alice = body["data"]["customer"]
    assert alice["displayName"] == "Alice Martin"
    assert {(i["kind"], i["value"]) for i in alice["identities"]} == {
        ("EMAIL", "alice@example.com"),
        ("PHONE", "+33611111111"),
        ("LOYALTY_CARD", "LC000000001"),
        ("WEB_ANONYMOUS_ID", "web-alice-1"),
    }
    assert alice["devices"] == [{"id": "fx-dev-alice", "kind": "phone", "os": "ios"}]
    cart = alice["cart"]
    assert (cart["id"], cart["version"], cart["status"], cart["itemCount"]) == (
        "fx-cart-alice",
        3,
        "active",
        3,
    )
    assert [
        (line["product"]["sku"], line["quantity"], line["addedVia"]) for line in cart["lines"]
    ] == [("FX-P1", 1, "STORE"), ("FX-P2", 2, "APP")]


async def test_a_customer_without_a_cart_has_a_null_cart(gateway: Gateway):
    body = await gateway.query(PROFILE, {"id": ERIN})
    assert body["data"]["customer"]["cart"] is None
    assert body["data"]["customer"]["devices"] == []


async def test_any_identifier_finds_the_same_customer_whatever_its_spelling(gateway: Gateway):
    query = (
        "query($k: IdentityKind!, $v: String!) { customerByIdentity(kind: $k, value: $v) { id } }"
    )
    for kind, value in [
        ("EMAIL", " ALICE@example.com"),
        ("PHONE", "+33 6 11 11 11 11"),
        ("LOYALTY_CARD", "lc000000001"),
        ("WEB_ANONYMOUS_ID", "web-alice-1"),
    ]:
        body = await gateway.query(query, {"k": kind, "v": value})
        assert body["data"]["customerByIdentity"] == {"id": ALICE}, (kind, body)


@pytest.mark.parametrize(
    "national", ["06 11 11 11 11", "06.11.11.11.11", "0611111111", "00 33 6 11 11 11 11"]
)
async def test_a_phone_written_as_a_french_national_number_finds_the_e164_holder(
    gateway: Gateway, national: str
):
    query = "query($v: String!) { customerByIdentity(kind: PHONE, value: $v) { id } }"
    body = await gateway.query(query, {"v": national})
    assert body.get("errors") is None, body
    assert body["data"]["customerByIdentity"] == {"id": ALICE}  # she holds +33611111111


async def test_a_phone_that_cannot_be_a_number_is_bad_user_input(gateway: Gateway):
    body = await gateway.query('{ customerByIdentity(kind: PHONE, value: "06 11 11") { id } }')
    assert body["data"]["customerByIdentity"] is None
    [error] = body["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert "too short" in error["message"]


async def test_an_unknown_customer_is_null_with_not_found(gateway: Gateway):
    body = await gateway.query(PROFILE, {"id": "cus_nobody"})
    assert body["data"]["customer"] is None
    [error] = body["errors"]
    assert error["extensions"]["code"] == "NOT_FOUND"
    assert error["path"] == ["customer"]


async def test_an_identifier_nobody_holds_is_not_found(gateway: Gateway):
    body = await gateway.query(
        '{ customerByIdentity(kind: EMAIL, value: "nobody@example.com") { id } }'
    )
    assert body["data"]["customerByIdentity"] is None
    assert body["errors"][0]["extensions"]["code"] == "NOT_FOUND"


async def test_malformed_arguments_are_bad_user_input_and_never_reach_the_graph(gateway: Gateway):
    body = await gateway.query(
        'query { a: customer(id: "x\\" OR 1=1 //") { id } '
        'b: customerByIdentity(kind: EMAIL, value: "not an email") { id } }'
    )
    codes = {tuple(e["path"]): e["extensions"]["code"] for e in body["errors"]}
    assert codes == {("a",): "BAD_USER_INPUT", ("b",): "BAD_USER_INPUT"}
    assert body["extensions"]["cypherRoundTrips"] == 0


async def test_an_invalid_document_is_refused_with_a_validation_code(gateway: Gateway):
    body = await gateway.query('{ customer(id: "cus_alice") { nope } }')
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"


async def test_the_response_echoes_a_request_id_found_in_errors(gateway: Gateway):
    async with gateway.session.post(
        f"{gateway.url}/graphql",
        json={"query": '{ customer(id: "cus_nobody") { id } }'},
        headers={"X-Request-Id": "trace-12345678"},
    ) as response:
        body = await response.json()
        assert response.headers["X-Request-Id"] == "trace-12345678"
    assert body["errors"][0]["extensions"]["requestId"] == "trace-12345678"
