"""A subscription on a customer merged into another does not go silent: it ends with
CUSTOMER_MERGED naming the survivor, whose id the client subscribes to instead."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from simulators._webhooks import DEV_SECRET, signed_headers
from tests.realtime.conftest import CART_CHANGED, Instance, WsClient, eventually, ws_client

ACTIVITY = """
subscription($c: ID!) { customerActivity(customerId: $c) { kind customerId ids } }
"""
LINK = """
mutation($c: ID!, $k: IdentityKind!, $v: String!) {
  linkIdentity(customerId: $c, kind: $k, value: $v, channel: WEB) { outcome customerId mergeId }
}
"""


async def _link(instance: Instance, customer: str, kind: str, value: str) -> dict[str, Any]:
    answer = await instance.gateway.query(LINK, {"c": customer, "k": kind, "v": value})
    assert "errors" not in answer, answer
    linked: dict[str, Any] = answer["data"]["linkIdentity"]
    return linked


async def _guest_and_known(instance: Instance, new_customer: Any) -> tuple[str, str]:
    """A guest known by a web id only, with a cart, and a customer known by an email."""
    guest, known = await new_customer(), await new_customer()
    await _link(instance, guest, "WEB_ANONYMOUS_ID", f"web-{guest}")
    await _link(instance, known, "EMAIL", f"{known}@example.com")
    assert await instance.add_item(guest) == 1
    return guest, known


async def _ended_naming(client: WsClient, op_id: str, merged: str, survivor: str) -> None:
    """The next messages of ``op_id``: CUSTOMER_MERGED naming the survivor, then complete."""
    message = await client.receive()
    while message["type"] == "pong":
        message = await client.receive()
    assert message["id"] == op_id, message
    assert message["type"] == "next", message
    [error] = message["payload"]["errors"]
    named = {key: error["extensions"].get(key) for key in ("code", "customerId", "survivorId")}
    assert named == {"code": "CUSTOMER_MERGED", "customerId": merged, "survivorId": survivor}
    assert (await client.receive())["type"] == "complete"


async def test_the_guests_subscriptions_end_naming_the_customer_it_was_merged_into(
    pair: tuple[Instance, Instance], new_customer: Any
) -> None:
    a, _ = pair
    guest, known = await _guest_and_known(a, new_customer)
    async with ws_client(a) as activity, ws_client(a) as cart:
        await activity.subscribe("act", ACTIVITY, {"c": guest})
        await cart.subscribe("cart", CART_CHANGED, {"c": guest})
        assert (await cart.next("cart"))["cartChanged"]["version"] == 1
        await eventually(lambda: a.open_feeds >= 2)
        linked = await _link(a, guest, "EMAIL", f"{known}@example.com")
        assert linked["outcome"] == "MERGED"
        assert linked["customerId"] == known
        item = (await activity.next("act"))["customerActivity"]
        assert item == {"kind": "IDENTITY_MERGED", "customerId": guest, "ids": [linked["mergeId"]]}
        await _ended_naming(activity, "act", guest, known)
        await _ended_naming(cart, "cart", guest, known)


async def test_a_holder_merged_into_the_requester_ends_its_subscriptions_too(
    pair: tuple[Instance, Instance], new_customer: Any
) -> None:
    a, _ = pair
    guest, known = await _guest_and_known(a, new_customer)
    async with ws_client(a) as activity, ws_client(a) as cart:
        await activity.subscribe("act", ACTIVITY, {"c": guest})
        await cart.subscribe("cart", CART_CHANGED, {"c": guest})
        assert (await cart.next("cart"))["cartChanged"]["version"] == 1
        await eventually(lambda: a.open_feeds >= 2)
        linked = await _link(a, known, "WEB_ANONYMOUS_ID", f"web-{guest}")
        assert (linked["outcome"], linked["customerId"]) == ("MERGED", known)
        item = (await activity.next("act"))["customerActivity"]
        assert (item["kind"], item["customerId"]) == ("IDENTITY_MERGED", guest)
        await _ended_naming(activity, "act", guest, known)
        await _ended_naming(cart, "cart", guest, known)


async def test_subscribing_to_an_id_already_merged_away_ends_at_once_naming_the_survivor(
    pair: tuple[Instance, Instance], new_customer: Any
) -> None:
    a, _ = pair
    guest, known = await _guest_and_known(a, new_customer)
    await _link(a, guest, "EMAIL", f"{known}@example.com")
    async with ws_client(a) as client:
        await client.subscribe("act", ACTIVITY, {"c": guest})
        await _ended_naming(client, "act", guest, known)
        await client.subscribe("cart", CART_CHANGED, {"c": guest})
        await _ended_naming(client, "cart", guest, known)


async def test_the_survivors_subscription_goes_on_after_the_merge(
    pair: tuple[Instance, Instance], new_customer: Any
) -> None:
    a, _ = pair
    guest, known = await _guest_and_known(a, new_customer)
    async with ws_client(a) as client:
        await client.subscribe("act", ACTIVITY, {"c": known})
        await eventually(lambda: a.open_feeds >= 1)
        await _link(a, guest, "EMAIL", f"{known}@example.com")
        item = (await client.next("act"))["customerActivity"]
        assert (item["kind"], item["customerId"]) == ("IDENTITY_MERGED", known)
        await _link(a, known, "APP_INSTALL_ID", f"app-{known}")
        after = (await client.next("act"))["customerActivity"]
    assert (after["kind"], after["customerId"]) == ("IDENTITY_LINKED", known)


async def test_a_guest_merged_by_an_ingested_event_ends_its_subscription_too(
    pair: tuple[Instance, Instance], new_customer: Any
) -> None:
    a, _ = pair
    guest, known = await _guest_and_known(a, new_customer)
    event = {
        "id": f"evt-merge-{guest}",
        "type": "view",
        "at": datetime.now(UTC).isoformat(),
        "identifiers": [
            {"kind": "email", "value": f"{known}@example.com"},
            {"kind": "web_anonymous_id", "value": f"web-{guest}"},
        ],
        "sku": "FX-P2",
    }
    body = json.dumps(event).encode()
    async with ws_client(a) as client:
        await client.subscribe("act", ACTIVITY, {"c": guest})
        await eventually(lambda: a.open_feeds >= 1)
        async with a.gateway.session.post(
            f"{a.gateway.url}/webhooks/web",
            data=body,
            headers=signed_headers(DEV_SECRET.format(channel="web"), body),
        ) as answer:
            assert answer.status == 200, await answer.text()
            assert (await answer.json())["merged"] == 1
        item = (await client.next("act"))["customerActivity"]
        assert (item["kind"], item["customerId"]) == ("IDENTITY_MERGED", guest)
        await _ended_naming(client, "act", guest, known)
