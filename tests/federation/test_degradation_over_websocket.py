"""Over graphql-transport-ws a degraded field says so exactly as over HTTP: its CHANNEL_* error
(with ``stale``) and ``extensions.sources``, in the ``next`` message that carries it, and only in
that one (a connection runs many operations)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

from tests.conftest import Gateway
from tests.federation.conftest import Systems, a_customer
from tests.realtime.conftest import PROTOCOL, WsClient

PRICES = """query($id: ID!) { customer(id: $id) { cart { lines {
             product { sku } unitPrice { amount } } } } }"""
CART_PRICES = """subscription($id: ID!) { cartChanged(customerId: $id) { lines {
                   product { sku } unitPrice { amount } } } }"""


@contextlib.asynccontextmanager
async def _ws(gateway: Gateway) -> AsyncIterator[WsClient]:
    async with gateway.session.ws_connect(f"{gateway.url}/graphql", protocols=(PROTOCOL,)) as ws:
        client = WsClient(ws)
        await client.init()
        yield client


async def _result(client: WsClient, op_id: str) -> dict[str, Any]:
    message = await client.receive()
    assert (message.get("id"), message["type"]) == (op_id, "next"), message
    payload: dict[str, Any] = message["payload"]
    return payload


def _stale_from_the_webshop(payload: dict[str, Any]) -> None:
    notices = [error["extensions"] for error in payload.get("errors", [])]
    assert notices, payload
    assert all(
        (e["code"], e["channel"], e["stale"]) == ("CHANNEL_UNAVAILABLE", "webshop", True)
        and e["asOf"]
        and e["requestId"]
        for e in notices
    ), notices
    sources = {s["channel"]: s["outcome"] for s in payload["extensions"]["sources"]}
    assert sources == {"webshop": "stale"}, payload


async def test_a_query_over_websocket_reports_its_stale_fields_and_only_its_own(
    fed: Gateway, systems: Systems
):
    customer = a_customer("email", cart=True)
    healthy = await fed.query(PRICES, {"id": customer["id"]})
    assert "errors" not in healthy, healthy
    await systems.faults("webshop", errorRate=1.0)
    async with _ws(fed) as client:
        await client.subscribe("prices", PRICES, {"id": customer["id"]})
        degraded = await _result(client, "prices")
        assert degraded["data"] == healthy["data"]
        _stale_from_the_webshop(degraded)
        assert (await client.receive())["type"] == "complete"
        # The next operation on the connection consults no system: nothing of the last one's.
        await client.subscribe(
            "name", "query($id: ID!) { customer(id: $id) { id } }", {"id": customer["id"]}
        )
        plain = await _result(client, "name")
        assert "errors" not in plain, plain
        assert plain["extensions"]["sources"] == [], plain


async def test_a_subscription_result_reports_its_stale_fields(fed: Gateway, systems: Systems):
    customer = a_customer("email", cart=True)
    healthy = await fed.query(PRICES, {"id": customer["id"]})
    assert "errors" not in healthy, healthy
    await systems.faults("webshop", errorRate=1.0)
    async with _ws(fed) as client:
        await client.subscribe("cart", CART_PRICES, {"id": customer["id"]})
        first = await _result(client, "cart")
        assert first["data"]["cartChanged"] == healthy["data"]["customer"]["cart"]
        _stale_from_the_webshop(first)
        assert {tuple(e["path"][:2]) for e in first["errors"]} == {("cartChanged", "lines")}
