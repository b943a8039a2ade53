"""The console's timeline when "Load more" and a live refresh (the customer acts elsewhere) are on
their way at once: both are drawn, every item once, and the click is never lost.

The page's requests to ``/graphql`` go through ``page.route`` (one answer is held back until the
other request is made); the WebSocket is relayed so the test knows when the activity arrived.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from playwright.async_api import Page, Route, WebSocketRoute, expect

from tests.conftest import Gateway
from tests.console.conftest import HeldAnswer, Shopper
from tests.console.test_console import find, open_console
from tests.federation.test_analytics import _post

PAGE = 15  # the console's timeline page


def zulu(at: datetime) -> str:
    return at.isoformat().replace("+00:00", "Z")


async def post_email_opens(gateway: Gateway, shopper: Shopper, ats: list[datetime]) -> None:
    who = [{"kind": "loyalty_card", "value": shopper.card}]
    events = [
        {"id": f"ev-races-{uuid.uuid4().hex[:10]}", "type": "email_open", "at": zulu(at)}
        for at in ats
    ]
    await _post(gateway, "email", [{**event, "identifiers": who} for event in events])


async def with_older_history(gateway: Gateway, shopper: Shopper) -> None:
    """A page more of history older than the shopper's: three pages in all (15, 15, 1)."""
    oldest = datetime.now(UTC) - timedelta(days=30)
    await post_email_opens(gateway, shopper, [oldest - timedelta(minutes=n) for n in range(PAGE)])


class HeldAll:
    """Holds back every request to ``/graphql`` that ``matches`` until :meth:`release` (a
    customer's act may be told as more than one activity, each reading the newest page)."""

    def __init__(self, matches: Callable[[dict[str, Any]], bool]) -> None:
        self.matches = matches
        self.sent = asyncio.Event()
        self._release = asyncio.Event()

    async def route(self, route: Route) -> None:
        body = route.request.post_data_json
        if isinstance(body, dict) and self.matches(body):
            self.sent.set()
            await self._release.wait()
        await route.continue_()

    def release(self) -> None:
        self._release.set()


def timeline_page(older: bool) -> Callable[[dict[str, Any]], bool]:
    def matches(body: dict[str, Any]) -> bool:
        query, variables = str(body.get("query")), body.get("variables", {})
        return "ConsoleTimeline" in query and bool(variables.get("after")) is older

    return matches


async def relay_activity(page: Page) -> asyncio.Event:
    """Relays the WebSocket; the event is set once a customerActivity reached the page."""
    arrived = asyncio.Event()

    def relay(ws: WebSocketRoute) -> None:
        server = ws.connect_to_server()

        def forward(message: str | bytes) -> None:
            ws.send(message)
            if "customerActivity" in str(message):
                arrived.set()

        server.on_message(forward)

    await page.route_web_socket("**/graphql", relay)
    return arrived


async def assert_each_item_once(page: Page, count: int) -> None:
    items = page.locator("#timeline li")
    await expect(items).to_have_count(count)
    cursors = await items.evaluate_all("nodes => nodes.map((n) => n.dataset.cursor)")
    assert len(set(cursors)) == count, cursors


async def test_load_more_clicked_while_a_live_refresh_is_on_its_way_draws_both(
    quiet: Gateway, page: Page, shopper: Shopper
):
    await with_older_history(quiet, shopper)
    await open_console(page, quiet, shopper)
    await find(page, "LOYALTY_CARD", shopper.card)
    items = page.locator("#timeline li")
    await expect(items).to_have_count(PAGE)
    await expect(page.locator("#live-status")).to_have_text("live")
    more = page.get_by_role("button", name="Load more")
    await more.click()
    await expect(items).to_have_count(2 * PAGE)
    refreshes = HeldAll(timeline_page(older=False))
    await page.route("**/graphql", refreshes.route)

    await post_email_opens(quiet, shopper, [datetime.now(UTC)])
    await refreshes.sent.wait()  # the refresh is on its way
    await more.click()
    refreshes.release()

    await assert_each_item_once(page, 2 * PAGE + 2)
    await expect(items.first).to_have_attribute("data-channel", "EMAIL")
    await expect(items.nth(1)).to_have_attribute("data-channel", "CALL_CENTRE")
    await expect(more).to_be_hidden()


async def test_a_live_refresh_while_load_more_is_on_its_way_leaves_the_older_page_drawn(
    quiet: Gateway, page: Page, shopper: Shopper
):
    await with_older_history(quiet, shopper)
    arrived = await relay_activity(page)
    await open_console(page, quiet, shopper)
    await find(page, "LOYALTY_CARD", shopper.card)
    items = page.locator("#timeline li")
    await expect(items).to_have_count(PAGE)
    await expect(page.locator("#live-status")).to_have_text("live")
    held = HeldAnswer(timeline_page(older=True))
    await page.route("**/graphql", held.route)

    more = page.get_by_role("button", name="Load more")
    await more.click()
    await held.sent.wait()  # the older page is on its way
    await post_email_opens(quiet, shopper, [datetime.now(UTC)])
    await arrived.wait()
    await page.evaluate("() => new Promise((resolve) => setTimeout(resolve, 0))")
    await held.release(page)

    await assert_each_item_once(page, 2 * PAGE + 1)
    await expect(items.first).to_have_attribute("data-channel", "EMAIL")
    await expect(more).to_be_visible()
    await expect(more).to_be_enabled()
    await more.click()
    await assert_each_item_once(page, 2 * PAGE + 2)
    await expect(more).to_be_hidden()
