"""A cart read again (after a version conflict) whose answer comes after a newer cart reached the
page live: the newer cart stays, the re-read never takes the assistant back to an older version.

The page's WebSocket is held (``hold_live_updates``) so that the click is on an old version; the
re-read's answer is fetched from the gateway at once but handed to the page only after the live
cart of a later change was drawn.
"""

from __future__ import annotations

import asyncio
from typing import Any

from playwright.async_api import Page, Route, expect

from tests.conftest import Gateway
from tests.console.conftest import Shopper, add_item
from tests.console.test_console import find, hold_live_updates, line, open_console


async def test_a_cart_read_again_never_replaces_a_newer_cart_shown_meanwhile(
    page: Page, fed: Gateway, shopper: Shopper
):
    read = asyncio.Event()
    handed = asyncio.Event()

    async def late_reread(route: Route) -> None:
        body: Any = route.request.post_data_json if route.request.method == "POST" else None
        if isinstance(body, dict) and "ConsoleCartNow" in str(body.get("query")):
            answer = await route.fetch()  # the cart as the gateway has it now (version 2)
            read.set()
            await handed.wait()
            await route.fulfill(response=answer)
        else:
            await route.continue_()

    await page.route("**/graphql", late_reread)
    hold = await hold_live_updates(page)
    await open_console(page, fed, shopper)
    await find(page, "LOYALTY_CARD", shopper.card)
    await expect(page.locator("#cart-version")).to_have_text("v1")
    await expect(page.locator("#live-status")).to_have_text("live")
    hold["on"] = True

    await add_item(fed, shopper.id, shopper.skus[2], "WEB")  # version 2, not shown
    await line(page, shopper.skus[0]).get_by_role("button", name="One more").click()
    await asyncio.wait_for(read.wait(), timeout=60)  # the conflict's re-read, version 2

    hold["on"] = False
    await add_item(fed, shopper.id, shopper.skus[1], "APP")  # version 3, shown live
    await expect(page.locator("#cart-version")).to_have_text("v3")
    await expect(line(page, shopper.skus[1])).to_be_visible()

    handed.set()
    message = page.locator("#cart-message")
    await expect(message).to_contain_text("The cart below is the latest")
    await expect(page.locator("#cart-version")).to_have_text("v3")
    await expect(line(page, shopper.skus[1])).to_be_visible()
