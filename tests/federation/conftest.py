"""Federation fixtures: the five simulators as real servers on loopback, the graph seeded with
the same seed (so SKUs, store ids and customer numbers line up), and a fresh gateway per test (so
one test's open breaker never leaks into the next)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import AsyncExitStack
from dataclasses import dataclass
from typing import Any

import aiohttp
import pytest
import redis
from aiohttp import web

from gateway.services import free_port
from gateway.settings import Settings
from graph import GraphDatabase
from graph.seed import customer_batches, reference_data, seed_graph
from simulators import SimulatorConfig, create_app
from tests.conftest import Gateway, Services, running_gateway

SEED, CUSTOMERS = 11, 60
SYSTEMS = ("webshop", "stores", "oms", "contact", "mobile")
CALL_TIMEOUT_S, DEADLINE_S, BREAKER_TTL_S = 2.0, 4.0, 2.0  # the ``fed`` gateway's budgets


@dataclass(frozen=True)
class Systems:
    urls: dict[str, str]
    session: aiohttp.ClientSession

    def settings_urls(self) -> dict[str, str]:
        """Gateway settings pointing each channel system at these simulators."""
        return {f"{system}_url": url for system, url in self.urls.items()}

    async def get(self, system: str, path: str, **params: str) -> Any:
        async with self.session.get(self.urls[system] + path, params=params or None) as r:
            assert r.status == 200, await r.text()
            return await r.json()

    async def post(self, system: str, path: str, body: Any) -> Any:
        async with self.session.post(self.urls[system] + path, json=body) as r:
            assert r.status < 300, await r.text()
            return await r.json()

    async def faults(self, system: str, **faults: Any) -> None:
        await self.post(system, "/admin/faults", faults)

    async def reset_all(self) -> None:
        for system in SYSTEMS:
            await self.post(system, "/admin/reset", {})


@pytest.fixture(scope="session")
async def seeded(graph: GraphDatabase) -> GraphDatabase:
    await seed_graph(graph, customers=CUSTOMERS, seed=SEED, batch_size=30)
    return graph


async def serve_simulators(
    stack: AsyncExitStack, systems: Sequence[str], config: SimulatorConfig
) -> dict[str, str]:
    """Serve each simulator of ``systems`` on a free loopback port until ``stack`` closes; their
    base URLs by name."""
    urls: dict[str, str] = {}
    for system in systems:
        runner = web.AppRunner(create_app(system, config))
        await runner.setup()
        stack.push_async_callback(runner.cleanup)
        port = free_port()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        urls[system] = f"http://127.0.0.1:{port}"
    return urls


@pytest.fixture(scope="session")
async def systems() -> AsyncIterator[Systems]:
    config = SimulatorConfig(seed=SEED, customers=CUSTOMERS)
    async with AsyncExitStack() as stack:
        urls = await serve_simulators(stack, SYSTEMS, config)
        timeout = aiohttp.ClientTimeout(total=10)
        session = await stack.enter_async_context(aiohttp.ClientSession(timeout=timeout))
        yield Systems(urls=urls, session=session)


@pytest.fixture
def clean_stale_answers(services: Services) -> Iterator[None]:
    client = redis.Redis.from_url(services.redis.config.url)
    try:
        for key in client.scan_iter("parcours:stale:*"):
            client.delete(key)
        yield
    finally:
        client.close()


def federated_settings(services: Services, systems: Systems, **overrides: Any) -> Settings:
    """A gateway's settings against ``systems``, with the budgets federation tests rely on: far
    above what a healthy local system needs even on a loaded 2-core CI machine, so tests prove
    degradation with systems slower than these (or silent), never by racing them."""
    return services.settings(
        migrate_on_start=False,
        channel_call_timeout_s=CALL_TIMEOUT_S,
        request_deadline_s=DEADLINE_S,
        channel_retries=0,
        **systems.settings_urls(),
        **overrides,
    )


@pytest.fixture
async def fed(
    services: Services, seeded: GraphDatabase, systems: Systems, clean_stale_answers: None
) -> AsyncIterator[Gateway]:
    await systems.reset_all()
    settings = federated_settings(
        services,
        systems,
        port=free_port(),
        channel_breaker_threshold=3,
        channel_breaker_ttl_s=BREAKER_TTL_S,
    )
    async with running_gateway(settings) as gateway:
        yield gateway
    await systems.reset_all()


def seeded_customers() -> list[dict[str, Any]]:
    """The seeded customers with their identities by kind and whether they have a cart."""
    reference = reference_data(SEED)
    found: list[dict[str, Any]] = []
    for batch in customer_batches(SEED, reference, CUSTOMERS):
        carts = {row["customerId"] for row in batch.carts}
        for customer in batch.customers:
            identities: dict[str, list[str]] = {}
            for row in batch.identities:
                if row["customerId"] == customer["id"]:
                    identities.setdefault(row["kind"], []).append(row["value"])
            found.append(
                {"id": customer["id"], "identities": identities, "hasCart": customer["id"] in carts}
            )
    return found


def a_customer(*kinds: str, cart: bool = False) -> dict[str, Any]:
    for customer in seeded_customers():
        if all(kind in customer["identities"] for kind in kinds) and (
            customer["hasCart"] or not cart
        ):
            return customer
    raise AssertionError(f"no seeded customer with {kinds} and cart={cart}")


@contextlib.asynccontextmanager
async def emitting_simulator(
    system: str, systems: Systems, gateway_port: int
) -> AsyncIterator[dict[str, str]]:
    """Our own ``system`` simulator posting its signed events to a gateway on ``gateway_port``;
    yields the gateway's channel URL settings, with this simulator in place of the shared one."""
    config = SimulatorConfig(
        seed=SEED, customers=CUSTOMERS, webhook_url=f"http://127.0.0.1:{gateway_port}/webhooks"
    )
    port = free_port()
    runner = web.AppRunner(create_app(system, config))
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    urls = systems.settings_urls()
    urls[f"{system}_url"] = f"http://127.0.0.1:{port}"
    try:
        yield urls
    finally:
        await runner.cleanup()
