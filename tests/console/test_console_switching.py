"""The console when the assistant moves on to another customer before an answer comes back: a
slow search or a cart change still on its way must never draw over the customer shown since.

The page's requests to ``/graphql`` go through ``page.route``: the test holds one answer back,
lets the assistant switch customer, then releases it.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from playwright.async_api import Page, expect

from graph import GraphDatabase
from graph.seed import CustomerBatch, load_customer_batch
from tests.conftest import Gateway
from tests.console.conftest import HeldAnswer, Shopper
from tests.console.test_console import find, line, open_console


@dataclass(frozen=True)
class Neighbour:
    """Another customer, known by a loyalty card, with no cart and no history."""

    id: str
    name: str
    card: str


@pytest.fixture
async def neighbour(seeded: GraphDatabase) -> AsyncIterator[Neighbour]:
    u = uuid.uuid4().hex[:10]
    who = Neighbour(f"cus_neighbour_{u}", f"Noé Neighbour{u}", f"LC-NEIGHBOUR-{u}".upper())
    since = datetime.now(UTC) - timedelta(days=2)
    batch = CustomerBatch()
    batch.customers.append({"id": who.id, "displayName": who.name, "createdAt": since})
    batch.identities.append(
        {
            "customerId": who.id,
            "kind": "loyalty_card",
            "value": who.card,
            "since": since,
            "source": "store",
            "confidence": 1.0,
        }
    )
    await load_customer_batch(seeded, batch)
    try:
        yield who
    finally:
        await seeded.write(
            "MATCH (c:Customer {id: $id}) "
            "OPTIONAL MATCH (card:Identity {kind: 'loyalty_card', value: $card}) "
            "DETACH DELETE c, card",
            {"id": who.id, "card": who.card},
        )


async def one_more_round_trip(page: Page) -> None:
    """A request the page makes, and draws, after the late answer reached it."""
    await page.select_option("#timeline-channel", "STORE")  # draws "Loading…" at once
    await expect(page.locator("#timeline .loading")).to_have_count(0)


async def test_a_slow_search_answering_late_never_replaces_the_customer_found_since(
    page: Page, fed: Gateway, shopper: Shopper, neighbour: Neighbour
):
    held = HeldAnswer(lambda body: body.get("variables", {}).get("value") == shopper.card)
    await page.route("**/graphql", held.route)
    await open_console(page, fed, shopper)
    await find(page, "LOYALTY_CARD", shopper.card)
    await held.sent.wait()
    await find(page, "LOYALTY_CARD", neighbour.card)
    await expect(page.locator("#customer-name")).to_have_text(neighbour.name)

    await held.release(page)
    await one_more_round_trip(page)

    assert f"customer={neighbour.id}" in page.url
    await expect(page.locator("#customer-name")).to_have_text(neighbour.name)
    await expect(page.locator("#cart")).to_have_text("The cart is empty.")


async def test_a_cart_change_answering_after_a_switch_leaves_the_new_customers_cart_alone(
    page: Page, fed: Gateway, shopper: Shopper, neighbour: Neighbour
):
    held = HeldAnswer(lambda body: "ConsoleSetQuantity" in str(body.get("query")))
    await page.route("**/graphql", held.route)
    await open_console(page, fed, shopper)
    await find(page, "LOYALTY_CARD", shopper.card)
    await expect(page.locator("#cart-version")).to_have_text("v1")
    await line(page, shopper.skus[0]).get_by_role("button", name="One more").click()
    await held.sent.wait()
    await find(page, "LOYALTY_CARD", neighbour.card)
    await expect(page.locator("#customer-name")).to_have_text(neighbour.name)

    await held.release(page)
    await one_more_round_trip(page)

    await expect(page.locator("#cart")).to_have_text("The cart is empty.")
    await expect(page.locator("#cart-version")).to_have_text("")
    await expect(page.locator("#cart-message")).to_be_hidden()
