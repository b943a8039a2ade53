"""The console's timeline while the customer acts elsewhere: what happened is drawn on top, and
the older pages the assistant asked for with "Load more" stay (the gateway also says RESYNC
after every idle half minute, which the console treats the same way)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from playwright.async_api import Page, expect

from tests.conftest import Gateway
from tests.console.conftest import Shopper
from tests.console.test_console import find, open_console
from tests.federation.test_analytics import _post


async def test_something_done_elsewhere_is_drawn_on_top_and_older_pages_stay(
    page: Page, fed: Gateway, shopper: Shopper
):
    await open_console(page, fed, shopper)
    await find(page, "LOYALTY_CARD", shopper.card)
    items = page.locator("#timeline li")
    await expect(items).to_have_count(15)
    await expect(page.locator("#live-status")).to_have_text("live")
    await page.get_by_role("button", name="Load more").click()
    await expect(items).to_have_count(16)
    oldest = await items.last.get_attribute("data-cursor")

    # The customer opens a newsletter: its activity reaches the console.
    now = datetime.now(UTC).isoformat().replace("+00:00", "Z")
    who = [{"kind": "loyalty_card", "value": shopper.card}]
    opened = {"id": f"ev-console-live-{uuid.uuid4().hex[:8]}", "type": "email_open", "at": now}
    await _post(fed, "email", [{**opened, "identifiers": who}])

    await expect(items.first).to_have_attribute("data-channel", "EMAIL")
    await expect(items).to_have_count(17)
    await expect(items.last).to_have_attribute("data-cursor", oldest or "")
    await expect(items.nth(1)).to_have_attribute("data-channel", "CALL_CENTRE")
