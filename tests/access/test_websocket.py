"""WebSocket connections authenticate with their connection_init payload: bad or missing
credentials on a production gateway close the socket with 4403; good ones are acknowledged and
subscriptions still need their scope and a visible customer."""

from __future__ import annotations

import aiohttp

from tests.access.conftest import MakeCustomer, MakePartner, hs256
from tests.conftest import Gateway

PROTOCOL = "graphql-transport-ws"
CART = "subscription($c: ID!) { cartChanged(customerId: $c) { version } }"


async def _init(gateway: Gateway, payload: dict[str, object]) -> tuple[dict | None, int | None]:
    async with gateway.session.ws_connect(f"{gateway.url}/graphql", protocols=(PROTOCOL,)) as ws:
        await ws.send_json({"type": "connection_init", "payload": payload})
        message = await ws.receive(timeout=15)
        if message.type == aiohttp.WSMsgType.TEXT:
            return message.json(), None
        return None, ws.close_code


async def test_bad_or_missing_credentials_close_the_connection_with_4403(
    secure_gateway: Gateway, make_partner: MakePartner
):
    partner_id, _ = await make_partner("cart:read")
    for payload in (
        {},
        {"apiKey": "prc_" + "B" * 43},
        {"authorization": "Bearer not.a.token"},
        {"authorization": f"Bearer {hs256(partner_id, 'cart:read', secret='z' * 40)}"},
    ):
        message, code = await _init(secure_gateway, payload)
        assert message is None, payload
        assert code == 4403, payload


async def test_good_credentials_are_acknowledged_and_scopes_apply_to_subscriptions(
    secure_gateway: Gateway, make_partner: MakePartner, make_customer: MakeCustomer
):
    customer = await make_customer()
    _, key = await make_partner("customer:read")
    async with secure_gateway.session.ws_connect(
        f"{secure_gateway.url}/graphql", protocols=(PROTOCOL,)
    ) as ws:
        await ws.send_json({"type": "connection_init", "payload": {"apiKey": key}})
        assert (await ws.receive_json(timeout=15))["type"] == "connection_ack"
        await ws.send_json(
            {
                "id": "1",
                "type": "subscribe",
                "payload": {"query": CART, "variables": {"c": customer}},
            }
        )
        answer = await ws.receive_json(timeout=15)
        assert answer["id"] == "1"
        errors = answer["payload"] if answer["type"] == "error" else answer["payload"]["errors"]
        assert errors[0]["extensions"]["code"] == "FORBIDDEN"
