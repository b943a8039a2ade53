"""The journey analytics page when some figures' statements run past the statement timeout: it
shows the figures it got, and in each panel whose figure is missing, why.

The month of tests/console/test_analytics_page.py (May 2033), with the journeys and exposure
statements swapped for one that counts for minutes (Neo4j stops it at the gateway's statement
timeout), as tests/federation/test_analytics_failures.py does: the page is served by that
module's impatient gateway (its statements get 2 s, not 10, so the test waits 2 s for a real
Neo4j timeout), after the month's figures were read once through ``fed`` (10 s per statement),
so the healthy statements of the page's request are planned already and take milliseconds.
"""

from __future__ import annotations

import pytest
from playwright.async_api import Page, expect

from graph import analytics
from tests.conftest import Gateway
from tests.console import test_analytics_page as analytics_page
from tests.console.conftest import screenshot
from tests.console.test_analytics_page import EXPLANATION, FROM, TO, figure
from tests.federation import test_analytics_failures as failures
from tests.federation.conftest import Systems
from tests.federation.test_analytics import ANALYTICS

month = analytics_page.month
impatient = failures.impatient
# The impatient gateway's timeout, as the page shows it: that gateway answered.
JOURNEYS_LATE = f"The journey figures of this window took longer than the {failures.TIMEOUT_S:g} s"
INCIDENTS_LATE = f"The incidents of this window took longer than the {failures.TIMEOUT_S:g} s"


async def test_figures_past_the_statement_timeout_are_explained_and_the_others_shown(
    impatient: Gateway,  # before ``page``: the tab closes before this gateway stops
    page: Page,
    *,
    fed: Gateway,
    systems: Systems,
    month: None,
    monkeypatch: pytest.MonkeyPatch,
):
    healthy = await fed.query(ANALYTICS, {"from": FROM, "to": TO, "first": 10, "after": None})
    assert "errors" not in healthy, healthy
    await failures.open_oms_breaker(impatient, systems)
    monkeypatch.setattr(analytics, "JOURNEYS", failures.SLOW)
    monkeypatch.setattr(analytics, "EXPOSURE", failures.SLOW)

    await page.goto(f"{impatient.url}/console/analytics?from={FROM}&to={TO}")

    await expect(figure(page, "revenue")).to_have_text("€130.00")
    await expect(figure(page, "transactions")).to_have_text("2")
    await expect(figure(page, "active-carts")).to_have_text("1")
    await expect(figure(page, "forced-contacts")).to_have_text("1")
    await expect(page.locator("#forced li")).to_have_count(1)
    await expect(page.locator("#forced li").first).to_contain_text(EXPLANATION)
    for key in ("conversion", "time-to-convert"):
        await expect(figure(page, key)).to_have_text("—")
        await expect(page.locator(f"[data-figure={key}]")).to_contain_text(JOURNEYS_LATE)
    await expect(page.locator("#conversion-table")).to_contain_text(JOURNEYS_LATE)
    await expect(page.locator("#switches-summary")).to_contain_text(JOURNEYS_LATE)
    row = page.locator("#incidents tr[data-system=oms]")
    await expect(row).to_contain_text("degraded · breaker opened")
    await expect(row).to_contain_text("order-management")
    await expect(row.locator("td").nth(4)).to_have_text("—")
    await expect(page.locator("#incidents")).to_contain_text(INCIDENTS_LATE)
    await expect(page.locator("#incidents")).to_contain_text("ask for a shorter window")
    await expect(page.locator("#notice")).to_be_hidden()
    await expect(page.locator("#loading")).to_be_hidden()
    await screenshot(page, "analytics-figures-missing")
