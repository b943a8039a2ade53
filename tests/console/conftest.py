"""Console fixtures: the system Chromium driven by Playwright, a gateway with the five simulators
(the federation fixtures), and a fresh customer with a cart, a journey and a cross-channel history.

The browser is Debian's ``/usr/bin/chromium`` (``parcours services prepare`` installs it); we
never download a browser.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Browser, Page, Request, Route, async_playwright, expect

from gateway.services import free_port
from graph import GraphDatabase
from graph.seed import CustomerBatch, load_customer_batch, reference_data
from tests.conftest import Gateway, Services, running_gateway
from tests.federation import conftest as federation
from tests.federation.conftest import Systems, federated_settings

# The federation fixtures (simulators, seeded graph, a fresh gateway per test), shared here.
SEED = federation.SEED
systems = federation.systems
seeded = federation.seeded
clean_stale_answers = federation.clean_stale_answers
fed = federation.fed

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "console"
# Generous: the machine that runs the suite may be busy. Waits end as soon as the page is right.
WAIT_MS = 45_000
expect.set_options(timeout=WAIT_MS)


@pytest.fixture(scope="session")
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=["--no-sandbox"]
        )
        try:
            yield chromium
        finally:
            await chromium.close()


@pytest.fixture
async def page(browser: Browser, fed: Gateway) -> AsyncIterator[Page]:
    """A fresh tab; it closes before the gateway stops (an open WebSocket would hold the stop)."""
    context = await browser.new_context(viewport={"width": 1360, "height": 1000})
    context.set_default_timeout(WAIT_MS)
    tab = await context.new_page()
    # Shown with a failing test's output: what the page itself complained about.
    tab.on("console", lambda message: print(f"browser {message.type}: {message.text}"))
    tab.on("pageerror", lambda error: print(f"page error: {error}"))
    try:
        yield tab
    finally:
        await context.close()


@pytest.fixture
async def quiet(
    services: Services, seeded: GraphDatabase, systems: Systems, clean_stale_answers: None
) -> AsyncIterator[Gateway]:
    """A gateway whose subscriptions never say RESYNC while a test runs: what a test expects the
    page to draw from an event (or a reconnection) cannot be drawn by the next idle RESYNC."""
    settings = federated_settings(services, systems, port=free_port(), bus_resync_idle_s=3600.0)
    async with running_gateway(settings) as gateway:
        yield gateway


async def screenshot(page: Page, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    await page.screenshot(path=str(path), full_page=True)
    return path


@dataclass(frozen=True)
class Shopper:
    """A customer of our own: known by a loyalty card, with a journey begun in a store."""

    id: str
    name: str
    card: str
    journey: str
    skus: tuple[str, ...]
    store: str


@pytest.fixture
async def shopper(seeded: GraphDatabase, fed: Gateway) -> AsyncIterator[Shopper]:
    u = uuid.uuid4().hex[:10]
    reference = reference_data(SEED)
    skus = tuple(p["sku"] for p in reference.products[:3])
    store = reference.stores[0]["id"]
    who = Shopper(
        id=f"cus_console_{u}",
        name=f"Inès Console{u}",
        card=f"LC-CONSOLE-{u}".upper(),
        journey=f"jrn-console-{u}",
        skus=skus,
        store=store,
    )
    visit = datetime.now(UTC) - timedelta(days=1)
    batch = CustomerBatch()
    batch.customers.append({"id": who.id, "displayName": who.name, "createdAt": visit})
    batch.identities.append(
        {
            "customerId": who.id,
            "kind": "loyalty_card",
            "value": who.card,
            "since": visit,
            "source": "store",
            "confidence": 1.0,
        }
    )
    events = [
        (f"ev-console-{u}-visit", "store_visit", "store", None, store, 0),
        (f"ev-console-{u}-try", "view", "store", skus[1], store, 10),
        (f"ev-console-{u}-web", "view", "web", skus[2], None, 60),
        (f"ev-console-{u}-call", "call", "call_centre", None, None, 120),
    ]
    # Older web views: one more than a timeline page (15) holds with the events above.
    events += [
        (f"ev-console-{u}-old-{n:02d}", "view", "web", skus[2], None, -60 * (n + 1))
        for n in range(12)
    ]
    for event_id, kind, channel, sku, store_id, minutes in events:
        batch.interactions.append(
            {
                "id": event_id,
                "customerId": who.id,
                "at": visit + timedelta(minutes=minutes),
                "type": kind,
                "channel": channel,
                "sku": sku,
                "storeId": store_id,
                "deviceId": None,
            }
        )
    batch.journeys.append(
        {
            "customerId": who.id,
            "id": who.journey,
            "intent": "buy a sofa",
            "status": "active",
            "startedAt": visit,
            "lastChannel": "store",
            "nextStep": "Compare the sofas online, then book a delivery slot",
        }
    )
    batch.journey_steps += [
        {"journeyId": who.journey, "interactionId": events[n][0], "n": n + 1} for n in range(2)
    ]
    await load_customer_batch(seeded, batch)
    await add_item(fed, who.id, skus[0], "STORE")
    try:
        yield who
    finally:
        await seeded.write(_FORGET, {"id": who.id, "journey": who.journey, "card": who.card})


_FORGET = """
MATCH (c:Customer {id: $id})
OPTIONAL MATCH (c)-[:DID]->(i:Interaction)
OPTIONAL MATCH (c)-[:HAS_CART]->(k:Cart)
OPTIONAL MATCH (j:Journey {id: $journey})
OPTIONAL MATCH (card:Identity {kind: 'loyalty_card', value: $card})
DETACH DELETE c, i, k, j, card
"""


async def add_item(gateway: Gateway, customer: str, sku: str, channel: str) -> int:
    """Change the cart the way another channel would: through the public API."""
    body = await gateway.query(
        """mutation($c: ID!, $sku: ID!, $ch: Channel!, $key: String!) {
             addCartItem(customerId: $c, sku: $sku, channel: $ch, idempotencyKey: $key) {
               version } }""",
        {"c": customer, "sku": sku, "ch": channel, "key": f"console-test-{uuid.uuid4().hex}"},
    )
    assert "errors" not in body, body
    version: int = body["data"]["addCartItem"]["version"]
    return version


class HeldAnswer:
    """Holds back the first request to ``/graphql`` that ``matches`` until :meth:`release`."""

    def __init__(self, matches: Callable[[dict[str, Any]], bool]) -> None:
        self.matches = matches
        self.sent = asyncio.Event()
        self._release = asyncio.Event()

    def _is_held(self, request: Request) -> bool:
        body = request.post_data_json if request.method == "POST" else None
        return isinstance(body, dict) and self.matches(body)

    async def route(self, route: Route) -> None:
        if not self.sent.is_set() and self._is_held(route.request):
            self.sent.set()
            await self._release.wait()
        await route.continue_()

    async def release(self, page: Page) -> None:
        """Let the held request go and wait until its answer has reached the page."""
        async with page.expect_response(lambda r: self._is_held(r.request)) as answer:
            self._release.set()
        await (await answer.value).finished()
