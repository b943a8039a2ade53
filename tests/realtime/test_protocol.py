"""graphql-transport-ws as the protocol specifies it: close codes, limits and the only protocol."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable

import pytest

from graph import GraphDatabase
from tests.conftest import Services
from tests.realtime.conftest import CART_CHANGED, Instance, serving, ws_client

MAX_SUBSCRIPTIONS = 2


@pytest.fixture
async def instance(services: Services, graph) -> AsyncIterator[Instance]:
    settings = services.settings(
        migrate_on_start=False,
        # Ample for a client that sends connection_init at once, even on a loaded machine.
        ws_connection_init_timeout_s=3,
        ws_max_subscriptions=MAX_SUBSCRIPTIONS,
    )
    async with serving(settings) as running:
        yield running


async def test_an_unknown_message_type_closes_with_4400(instance: Instance):
    async with ws_client(instance) as client:
        await client.send({"type": "shout"})
        assert await client.close_code() == 4400


NOT_THE_PROTOCOL = {
    "an array": "[]",
    "a string": '"subscribe"',
    "null": "null",
    "a payload that is not an object": '{"type": "subscribe", "id": "1", "payload": "{ a }"}',
    "an id that is not a string": '{"type": "subscribe", "id": [1], "payload": {"query": "{ a }"}}',
    "a query that is not a string": '{"type": "subscribe", "id": "1", "payload": {"query": 5}}',
    "variables that are not an object": (
        '{"type": "subscribe", "id": "1", "payload": {"query": "{ __typename }", "variables": 1}}'
    ),
    "a complete whose id is not a string": '{"type": "complete", "id": {"a": 1}}',
}


async def test_a_message_outside_the_protocol_closes_with_4400(instance: Instance):
    for name, text in NOT_THE_PROTOCOL.items():
        async with ws_client(instance) as client:
            await client.ws.send_str(text)
            assert await client.close_code() == 4400, name


async def test_a_document_that_does_not_parse_gets_an_error_message_saying_why(
    instance: Instance,
):
    async with ws_client(instance) as client:
        await client.subscribe("1", "subscription { cartChanged(customerId: ", {})
        refused = await client.receive()  # not a bare `complete`
        assert (refused["id"], refused["type"]) == ("1", "error"), refused
        [error] = refused["payload"]
        assert error["message"] == "Syntax Error: Unexpected <EOF>."
        assert error["extensions"]["code"] == "GRAPHQL_PARSE_FAILED"
        await client.send({"type": "ping"})
        assert (await client.receive())["type"] == "pong"


async def test_a_connection_init_with_a_null_or_no_payload_is_acknowledged(instance: Instance):
    """The protocol types the payload ``Record<string, unknown> | null``, and optional."""
    for message in ({"type": "connection_init", "payload": None}, {"type": "connection_init"}):
        async with ws_client(instance, init=False) as client:
            await client.send(message)
            assert (await client.receive())["type"] == "connection_ack", message


async def test_subscribing_before_connection_init_closes_with_4401(instance: Instance):
    async with ws_client(instance, init=False) as client:
        await client.subscribe("1", CART_CHANGED, {"c": "cus_alice"})
        assert await client.close_code() == 4401


async def test_a_duplicate_subscription_id_closes_with_4409(instance: Instance):
    async with ws_client(instance) as client:
        await client.subscribe("same", CART_CHANGED, {"c": "cus_nobody"})
        await client.subscribe("same", CART_CHANGED, {"c": "cus_nobody"})
        assert await client.close_code() == 4409


async def test_no_connection_init_in_time_closes_with_4408(instance: Instance):
    async with ws_client(instance, init=False) as client:
        assert await client.close_code() == 4408


async def test_a_second_connection_init_closes_with_4429(instance: Instance):
    async with ws_client(instance) as client:
        await client.send({"type": "connection_init", "payload": {}})
        assert await client.close_code() == 4429


async def test_ping_is_answered_with_pong(instance: Instance):
    async with ws_client(instance) as client:
        await client.send({"type": "ping"})
        assert (await client.receive())["type"] == "pong"


async def test_one_subscription_past_the_cap_gets_an_error_and_the_others_live_on(
    instance: Instance,
):
    async with ws_client(instance) as client:
        for n in range(MAX_SUBSCRIPTIONS):
            await client.subscribe(str(n), CART_CHANGED, {"c": "cus_nobody"})
        await client.subscribe("extra", CART_CHANGED, {"c": "cus_nobody"})
        refusal = await client.receive()
        assert refusal["type"] == "error"
        assert refusal["id"] == "extra"
        [error] = refusal["payload"]
        assert error["message"].startswith("Subscription limit reached")
        assert error["extensions"]["code"] == "RATE_LIMITED"  # every error carries a code
        assert error["extensions"]["limit"] == MAX_SUBSCRIPTIONS
        assert error["extensions"]["requestId"]
        await client.send({"type": "ping"})
        assert (await client.receive())["type"] == "pong"


async def test_the_legacy_graphql_ws_protocol_is_not_offered(instance: Instance):
    async with instance.gateway.session.ws_connect(
        instance.ws_url, protocols=("graphql-ws",)
    ) as ws:
        assert ws.protocol is None
        await ws.receive()
        assert ws.close_code == 4406


async def test_a_bad_customer_id_is_an_error_message_not_a_closed_connection(instance: Instance):
    async with ws_client(instance) as client:
        await client.subscribe("bad", CART_CHANGED, {"c": "no spaces allowed"})
        answer = await client.receive()
        assert answer["id"] == "bad"
        assert answer["type"] in ("error", "next")
        errors = answer["payload"] if answer["type"] == "error" else answer["payload"]["errors"]
        assert errors[0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_an_internal_error_over_websocket_is_masked_and_coded_as_over_http(
    instance: Instance, graph: GraphDatabase, new_customer: Callable[[], Awaitable[str]]
):
    """A customer whose createdAt is a number cannot be decoded (tests/hostile: a real bug)."""
    customer = await new_customer()
    await graph.write("MATCH (c:Customer {id: $id}) SET c.createdAt = 42", {"id": customer})
    async with ws_client(instance) as client:
        await client.subscribe(
            "q", "query($id: ID!) { customer(id: $id) { id createdAt } }", {"id": customer}
        )
        answer = await client.receive()
        assert (answer["id"], answer["type"]) == ("q", "next"), answer
        [error] = answer["payload"]["errors"]
        assert error["message"] == "Internal server error", error
        assert error["extensions"]["code"] == "INTERNAL"
        assert error["extensions"]["requestId"]
        assert "isoformat" not in str(answer)
        assert (await client.receive())["type"] == "complete"


async def test_validation_and_variable_errors_over_websocket_carry_a_code(instance: Instance):
    async with ws_client(instance) as client:
        await client.subscribe("v", "{ nope }", {})
        refused = await client.receive()
        assert (refused["id"], refused["type"]) == ("v", "error"), refused
        assert refused["payload"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
        await client.subscribe("x", "query($a: ID!) { customer(id: $a) { id } }", {})
        answer = await client.receive()
        assert answer["id"] == "x", answer
        errors = answer["payload"] if answer["type"] == "error" else answer["payload"]["errors"]
        assert errors[0]["extensions"]["code"] == "BAD_USER_INPUT", answer


async def test_ping_before_connection_init_is_answered_and_a_pong_is_a_heartbeat(
    instance: Instance,
):
    """Pings may come at any time, acknowledged or not, and a pong unasked for is a
    unidirectional heartbeat (PROTOCOL.md): neither closes the connection."""
    async with ws_client(instance, init=False) as client:
        await client.send({"type": "ping", "payload": {"at": 1}})
        assert (await client.receive())["type"] == "pong"
        await client.init()
        await client.send({"type": "pong", "payload": {"at": 2}})
        await client.send({"type": "ping"})
        assert (await client.receive())["type"] == "pong"


NOT_JSON = {"text that is not JSON": "{", "an empty text": ""}
SERVER_MESSAGES = (
    {"type": "connection_ack"},
    {"type": "next", "id": "1", "payload": {"data": {}}},
    {"type": "error", "id": "1", "payload": [{"message": "x"}]},
)


async def test_a_text_that_is_not_json_or_a_binary_frame_closes_with_4400(instance: Instance):
    for name, text in NOT_JSON.items():
        async with ws_client(instance) as client:
            await client.ws.send_str(text)
            assert await client.close_code() == 4400, name
    async with ws_client(instance) as client:
        await client.ws.send_bytes(b'{"type": "ping"}')
        assert await client.close_code() == 4400


async def test_a_message_only_the_server_sends_closes_with_4400(instance: Instance):
    for message in SERVER_MESSAGES:
        async with ws_client(instance) as client:
            await client.send(message)
            assert await client.close_code() == 4400, message


async def test_a_query_is_answered_with_one_next_then_complete(instance: Instance):
    async with ws_client(instance) as client:
        await client.subscribe("q", '{ product(sku: "FX-P1") { sku } }', {})
        assert await client.next("q") == {"product": {"sku": "FX-P1"}}
        assert await client.receive() == {"id": "q", "type": "complete"}


async def test_a_mutation_is_answered_with_one_next_then_complete(
    instance: Instance, new_customer: Callable[[], Awaitable[str]]
):
    customer = await new_customer()
    async with ws_client(instance) as client:
        await client.subscribe(
            "m",
            "mutation($c: ID!) { setConsent(customerId: $c, purpose: MARKETING, granted: true,"
            " channel: WEB) { granted } }",
            {"c": customer},
        )
        assert await client.next("m") == {"setConsent": {"granted": True}}
        assert await client.receive() == {"id": "m", "type": "complete"}


async def test_a_document_of_several_operations_needs_an_operation_name(instance: Instance):
    two = "query A { __typename } query B { __typename }"
    async with ws_client(instance) as client:
        await client.send({"id": "1", "type": "subscribe", "payload": {"query": two}})
        refused = await client.receive()
        assert (refused["id"], refused["type"]) == ("1", "error"), refused
        assert refused["payload"][0]["extensions"]["code"], refused
        await client.send(
            {"id": "2", "type": "subscribe", "payload": {"query": two, "operationName": "C"}}
        )
        refused = await client.receive()
        assert (refused["id"], refused["type"]) == ("2", "error"), refused
        assert refused["payload"][0]["extensions"]["code"], refused
        await client.send(
            {"id": "3", "type": "subscribe", "payload": {"query": two, "operationName": "B"}}
        )
        assert await client.next("3") == {"__typename": "Query"}
