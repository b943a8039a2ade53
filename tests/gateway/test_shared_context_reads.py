"""Concurrent requests share a context statement once the gateway's statements are all busy.

With ``shared_context_reads_in_flight=1``, a first home screen's statement is held in flight
(the real statement, started late by a gate); the home screens arriving meanwhile wait and go out
together in one statement against the real graph, and each gets its own customer's answer.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

import aiohttp
import pytest
from aiohttp import web

import gateway.app as gateway_app
from gateway.app import create_app
from gateway.metrics_state import ResourceCollector
from gateway.state import CONTEXT_READS
from graph import GraphDatabase
from graph.context import ContextRequest, CustomerContext
from tests.conftest import Gateway, Services
from tests.fixture_dataset import ALICE, BOB, CAROL, DAVE

HOME = """
query Home($id: ID!) {
  customer(id: $id) {
    id displayName
    identities { kind value }
    cart { version lines { quantity product { sku name } } }
    history(first: 10) { edges { node { id type channel product { name } store { name } } } }
    recommendations(first: 5) { product { sku } score }
  }
}
"""


async def _home(session: aiohttp.ClientSession, url: str, customer: str) -> dict[str, Any]:
    async with session.post(url, json={"query": HOME, "variables": {"id": customer}}) as r:
        assert r.status == 200, await r.text()
        body: dict[str, Any] = await r.json()
        return body


async def _until(condition: Any, what: str) -> None:
    for _ in range(1000):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"never happened: {what}")


async def test_home_screens_arriving_while_the_statements_are_busy_share_the_next_one(
    services: Services,
    graph: GraphDatabase,
    gateway: Gateway,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    real_contexts = gateway_app.contexts
    statements: list[list[str]] = []
    gate = asyncio.Event()

    async def gated(db: GraphDatabase, requests: Sequence[ContextRequest]) -> list[CustomerContext]:
        statements.append(sorted(request.customer_id for request in requests))
        if len(statements) == 1:
            await gate.wait()
        found: list[CustomerContext] = await real_contexts(db, requests)
        return found

    customers = (ALICE, BOB, CAROL, DAVE)
    alone = {customer: await gateway.query(HOME, {"id": customer}) for customer in customers}
    monkeypatch.setattr(gateway_app, "contexts", gated)
    settings = services.settings(shared_context_reads_in_flight=1, context_cache_enabled=False)
    app = create_app(settings)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", settings.port).start()
    url = f"http://127.0.0.1:{settings.port}/graphql"
    try:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as session:
            first = asyncio.ensure_future(_home(session, url, ALICE))
            await _until(lambda: len(statements) == 1, "the first statement started")
            joined = [asyncio.ensure_future(_home(session, url, c)) for c in (BOB, CAROL, DAVE)]
            await _until(lambda: app[CONTEXT_READS].waiting == 3, "three requests waiting")
            gate.set()
            answers = dict(zip(customers, await asyncio.gather(first, *joined), strict=True))
        series = {
            (sample.name, sample.labels.get("kind")): sample.value
            for family in ResourceCollector(app).collect()
            if family.name.startswith("parcours_context_")
            for sample in family.samples
        }
    finally:
        await runner.cleanup()
    assert statements == [[ALICE], [BOB, CAROL, DAVE]]
    assert series == {
        ("parcours_context_statements_total", "alone"): 1,
        ("parcours_context_statements_total", "shared"): 1,
        ("parcours_context_batches_waited_total", None): 3,
    }
    for customer, body in answers.items():
        assert "errors" not in body, body
        assert body["data"] == alone[customer]["data"]
        assert body["extensions"]["cypherRoundTrips"] == 1
