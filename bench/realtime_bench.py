"""Scenario 4: a cart change on gateway A, seen by a ``cartChanged`` subscriber on gateway B.

The subscriber speaks graphql-transport-ws to B; mutations go to A on a fixed schedule (open
model). A change's latency runs from the mutation's *scheduled* send to the first subscription
message carrying its version or a newer one (a subscriber only ever sees newer carts, so a burst
may be coalesced). It also reports the time from A's answer to B's message. Measures only.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from typing import Any

import aiohttp
import orjson

from bench.openloop import closed_loop, percentile, schedule

SET_QUANTITY = """
mutation($c: ID!, $q: Int!, $key: String!) {
  setCartItemQuantity(customerId: $c, sku: "SKU-00001", quantity: $q, channel: WEB,
                      idempotencyKey: $key) { version }
}
"""
ADD = """
mutation($c: ID!, $key: String!) {
  addCartItem(customerId: $c, sku: "SKU-00001", quantity: 1, channel: WEB, idempotencyKey: $key) {
    version
  }
}
"""
SUBSCRIBE = "subscription($c: ID!) { cartChanged(customerId: $c) { version } }"


async def _post(session: aiohttp.ClientSession, url: str, query: str, variables: object) -> Any:
    body = orjson.dumps({"query": query, "variables": variables})
    async with session.post(url, data=body, headers={"content-type": "application/json"}) as r:
        return orjson.loads(await r.read())


async def _subscribe(
    session: aiohttp.ClientSession, url: str, customer: str, seen: list[tuple[int, float]]
) -> None:
    async with session.ws_connect(url, protocols=["graphql-transport-ws"], heartbeat=10) as ws:
        await ws.send_json({"type": "connection_init", "payload": {}})
        ack = await ws.receive_json(timeout=5)
        if ack.get("type") != "connection_ack":
            raise RuntimeError(f"no connection_ack: {ack}")
        payload = {"query": SUBSCRIBE, "variables": {"c": customer}}
        await ws.send_json({"id": "1", "type": "subscribe", "payload": payload})
        async for message in ws:
            if message.type != aiohttp.WSMsgType.TEXT:
                break
            data = orjson.loads(message.data)
            if data.get("type") == "ping":
                await ws.send_json({"type": "pong"})
            elif data.get("type") == "next":
                cart = (data["payload"].get("data") or {}).get("cartChanged")
                if cart:
                    seen.append((int(cart["version"]), time.perf_counter()))


def _first_seen(seen: list[tuple[int, float]], version: int) -> float | None:
    return next((at for v, at in seen if v >= version), None)


async def warm_up_mutations(
    session: aiohttp.ClientSession, base_a: str, customer: str, seconds: float
) -> int:
    """Cart changes on A one after the other for ``seconds`` (Neo4j compiles the write
    statements, the fresh gateways fill their caches); returns how many were answered."""
    url_a = f"{base_a}/graphql"

    async def change(index: int) -> bool:
        variables = {"c": customer, "q": 1 + index % 2, "key": f"bench-{uuid.uuid4().hex}"}
        await _post(session, url_a, SET_QUANTITY, variables)
        return True

    return await closed_loop(change, clients=1, seconds=seconds)


async def cart_to_subscriber(
    session: aiohttp.ClientSession,
    *,
    base_a: str,
    base_b: str,
    customer: str,
    rate: float,
    duration_s: float,
    warmup_s: float,
) -> dict[str, Any]:
    """One run at ``rate`` mutations/s; figures exclude the first ``warmup_s``."""
    url_a = f"{base_a}/graphql"
    await _post(session, url_a, ADD, {"c": customer, "key": f"bench-{uuid.uuid4().hex}"})
    seen: list[tuple[int, float]] = []
    listener = asyncio.create_task(_subscribe(session, f"{base_b}/graphql", customer, seen))
    await asyncio.sleep(1.0)  # connection_init, first snapshot
    offsets = schedule(rate, warmup_s + duration_s)
    sent: list[tuple[float, float, int | None]] = []  # scheduled, answered, version

    async def mutate(index: int, scheduled: float) -> None:
        variables = {"c": customer, "q": 1 + index % 2, "key": f"bench-{uuid.uuid4().hex}"}
        try:
            answer = await _post(session, url_a, SET_QUANTITY, variables)
            cart = (answer.get("data") or {}).get("setCartItemQuantity")
            version = int(cart["version"]) if cart else None
        except (aiohttp.ClientError, TimeoutError, ValueError):
            version = None
        if index >= rate * warmup_s:
            sent.append((scheduled, time.perf_counter(), version))

    start = time.perf_counter() + 0.05
    tasks = []
    for index, offset in enumerate(offsets):
        await asyncio.sleep(max(0.0, start + offset - time.perf_counter()))
        tasks.append(asyncio.create_task(mutate(index, start + offset)))
    await asyncio.gather(*tasks)
    await asyncio.sleep(1.0)  # let the last events arrive
    listener.cancel()
    with contextlib.suppress(asyncio.CancelledError, aiohttp.ClientError):
        await listener
    from_send, from_answer, missing = [], [], 0
    for scheduled, answered, version in sent:
        received = _first_seen(seen, version) if version is not None else None
        if received is None:
            missing += 1
            continue
        from_send.append((received - scheduled) * 1000)
        from_answer.append((received - answered) * 1000)
    return {
        "offered_rps": rate,
        "changes": len(sent),
        "notDelivered": missing,
        "p50_ms": round(percentile(from_send, 0.5), 3),
        "p99_ms": round(percentile(from_send, 0.99), 3),
        "max_ms": round(max(from_send, default=float("nan")), 3),
        "afterMutationAnswer_p50_ms": round(percentile(from_answer, 0.5), 3),
        "afterMutationAnswer_p99_ms": round(percentile(from_answer, 0.99), 3),
    }
