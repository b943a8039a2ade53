"""The journey analytics page in a real headless Chromium: a small dataset with known answers in a
window of its own (May 2033, fresh ids, removed afterwards), read through the public ``analytics``
query and checked on the page a manager sees: key figures, charts, forced contacts, incidents.

The dataset is written like tests/federation/test_analytics.py writes its own (its Cypher and its
signed webhook poster are reused), in a window that test never reaches.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from playwright.async_api import Page, expect

from graph import GraphDatabase
from tests.conftest import Gateway
from tests.console.conftest import screenshot
from tests.federation.conftest import Systems
from tests.federation.test_analytics import (
    _CART,
    _CUSTOMER,
    _JOURNEY,
    _post,
    newest_interaction,
)

FROM, TO = "2033-05-01T00:00:00Z", "2033-06-01T00:00:00Z"
T0 = datetime(2033, 5, 10, 10, 0, tzinfo=UTC)
PREFIX = f"cx-{uuid.uuid4().hex[:8]}-"


def _step(name: str, minutes: float, type_: str, channel: str, amount: float | None = None):
    at = T0 + timedelta(minutes=minutes)
    return {"id": PREFIX + name, "at": at, "type": type_, "channel": channel, "amount": amount}


# a: APP→STORE bought in 1 h (100 €); c: APP→WEB not bought; d: WEB bought in 30 min (30 €).
JOURNEYS = {
    "a": ("completed", [_step("a1", 0, "view", "app"), _step("a2", 60, "purchase", "store", 100)]),
    "c": ("active", [_step("c1", 0, "view", "app"), _step("c2", 10, "view", "web")]),
    "d": ("completed", [_step("d1", 0, "view", "web"), _step("d2", 30, "purchase", "web", 30)]),
}


def _event(name: str, at: str, type_: str, **fields: Any) -> dict[str, Any]:
    who = [{"kind": "email", "value": f"{PREFIX}g@example.com"}]
    return {"id": PREFIX + name, "type": type_, "at": at, "identifiers": who, **fields}


# g: a web search without result, then a call 4 min later: one forced contact.
WEBHOOKS = {
    "web": [_event("g1", "2033-05-12T09:00:00Z", "search", query="lampe", resultCount=0)],
    "call_centre": [_event("g2", "2033-05-12T09:04:00Z", "call")],
}
EXPLANATION = "search 'lampe' with no result on web, then a call on call_centre 4 min later"


@pytest.fixture
async def month(seeded: GraphDatabase, fed: Gateway) -> AsyncIterator[None]:
    for name in "acdg":
        email = f"{PREFIX}{name}@example.com"
        await seeded.write(_CUSTOMER, {"id": f"{PREFIX}cus-{name}", "email": email, "at": T0})
    for name, (status, steps) in JOURNEYS.items():
        customer = f"{PREFIX}cus-{name}"
        await seeded.write(
            _JOURNEY,
            {"customerId": customer, "id": f"{PREFIX}j-{name}", "status": status, "steps": steps},
        )
    lines = [{"sku": "SKU-00001", "qty": 2}]
    await seeded.write(
        _CART,
        {
            "customerId": f"{PREFIX}cus-a",
            "id": f"{PREFIX}cart-a",
            "status": "active",
            "at": T0,
            "lines": lines,
        },
    )
    for channel, events in WEBHOOKS.items():
        await _post(fed, channel, events)
    try:
        yield
    finally:
        await seeded.write(
            "MATCH (n) WHERE (n:Customer OR n:Interaction OR n:Journey OR n:Cart) "
            "AND n.id STARTS WITH $prefix OR n:Identity AND n.value STARTS WITH $prefix "
            "DETACH DELETE n",
            {"prefix": PREFIX},
        )


async def open_month(page: Page, fed: Gateway) -> None:
    await page.goto(f"{fed.url}/console/analytics?from={FROM}&to={TO}")
    await expect(page.locator("[data-figure=revenue]")).to_be_visible()


def figure(page: Page, key: str) -> Any:
    return page.locator(f"[data-figure={key}] .figure-value")


async def test_a_known_month_shows_its_figures_charts_and_forced_contacts(
    page: Page, fed: Gateway, month: None
):
    await open_month(page, fed)
    await expect(figure(page, "revenue")).to_have_text("€130.00")
    await expect(figure(page, "transactions")).to_have_text("2")
    await expect(figure(page, "active-carts")).to_have_text("1")
    await expect(figure(page, "conversion")).to_have_text("67 %")
    await expect(page.locator("[data-figure=conversion]")).to_contain_text("2 of 3 started")
    await expect(figure(page, "time-to-convert")).to_have_text("45 min")
    await expect(figure(page, "forced-contacts")).to_have_text("1")
    await expect(page.locator("#from")).to_have_value("2033-05-01")

    for canvas in ("#chart-conversion", "#chart-switches"):
        box = await page.locator(canvas).bounding_box()
        assert box is not None, canvas
        assert box["width"] > 0, canvas
        assert box["height"] > 0, canvas
    charts = await page.evaluate(
        """() => ['chart-conversion', 'chart-switches'].map((id) => {
             const chart = Chart.getChart(id);
             return { labels: chart.data.labels, data: chart.data.datasets[0].data };
           })"""
    )
    assert charts == [
        {"labels": ["App → Store", "App → Web", "Web"], "data": [100, 0, 100]},
        {"labels": ["0", "1"], "data": [1, 2]},
    ]
    await expect(page.locator("#conversion-table tr[data-path='APP→WEB']")).to_contain_text("0 %")

    forced = page.locator("#forced li")
    await expect(forced).to_have_count(1)
    await expect(forced.first).to_contain_text(EXPLANATION)
    await expect(forced.first).to_contain_text("search with no result")
    await expect(page.locator("#incidents")).to_have_text("All channel systems healthy.")
    await screenshot(page, "analytics-month")


async def test_a_degraded_system_is_shown_with_its_team_and_what_it_puts_at_risk(
    page: Page, fed: Gateway, systems: Systems, month: None
):
    await systems.faults("oms", errorRate=1.0)
    for _ in range(4):  # the federation gateway opens a breaker after 3 failures
        await fed.query(
            "query($sku: ID!) { product(sku: $sku) { availability { online } } }",
            {"sku": "SKU-00009"},
        )
    await open_month(page, fed)
    row = page.locator("#incidents tr[data-system=oms]")
    await expect(row).to_contain_text("degraded · breaker opened")
    await expect(row).to_contain_text("order-management")
    await expect(row.locator("td").nth(4)).to_have_text("1")  # customer a's active cart
    await screenshot(page, "analytics-incident")


async def test_the_window_picker_defaults_to_30_days_up_to_the_newest_interaction(
    page: Page, fed: Gateway, seeded: GraphDatabase
):
    # The demo data ends weeks before today, and a default window ending today showed an empty
    # page on it.
    async with newest_interaction(seeded, f"{PREFIX}newest"):
        await page.goto(f"{fed.url}/console/analytics")
        await expect(page.locator("[data-figure=revenue]")).to_be_visible()
        await expect(page.locator("#from")).to_have_value("2091-01-16")
        await expect(page.locator("#to")).to_have_value("2091-02-15")
        await expect(page.locator("#window-label")).to_contain_text("2091-01-16")
        await page.get_by_role("link", name="Customer 360 →").click()
        await expect(page.locator("#empty-state")).to_be_visible()


async def test_a_window_the_gateway_refuses_is_explained_and_nothing_is_drawn(
    page: Page, fed: Gateway
):
    await page.goto(f"{fed.url}/console/analytics?from={TO}&to={FROM}")
    await expect(page.locator("#notice")).to_have_text("`from` must be before `to`")
    await expect(page.locator("[data-figure]")).to_have_count(0)
