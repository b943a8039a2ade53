"""The console when its WebSocket drops and comes back: what the customer did while it was down
is drawn once it is back, not at the gateway's next RESYNC (an idle half minute by default, set
far away here so that it cannot be what draws it).

The page's WebSocket goes through ``page.route_web_socket``: the test closes the first
connection as a flaky network would, and lets the page reconnect only once the customer acted.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime

from playwright.async_api import Page, WebSocketRoute, expect

from tests.conftest import Gateway
from tests.console.conftest import Shopper, add_item
from tests.console.test_console import find, line, open_console
from tests.federation.test_analytics import _post


async def test_what_happened_while_the_live_connection_was_down_is_drawn_once_it_is_back(
    quiet: Gateway, page: Page, shopper: Shopper
):
    connections: list[WebSocketRoute] = []
    back = asyncio.Event()

    async def dropped_then_held(ws: WebSocketRoute) -> None:
        connections.append(ws)
        if len(connections) > 1:
            await back.wait()
        ws.connect_to_server()

    await page.route_web_socket("**/graphql", dropped_then_held)
    await open_console(page, quiet, shopper)
    await find(page, "LOYALTY_CARD", shopper.card)
    items = page.locator("#timeline li")
    await expect(items).to_have_count(15)
    await expect(page.locator("#live-status")).to_have_text("live")

    await connections[0].close(code=1006, reason="network lost")
    await expect(page.locator("#live-status")).not_to_have_text("live")
    now = datetime.now(UTC).isoformat().replace("+00:00", "Z")
    opened = {"id": f"ev-reconnect-{uuid.uuid4().hex[:8]}", "type": "email_open", "at": now}
    who = [{"kind": "loyalty_card", "value": shopper.card}]
    await _post(quiet, "email", [{**opened, "identifiers": who}])
    await add_item(quiet, shopper.id, shopper.skus[1], "APP")
    back.set()

    await expect(page.locator("#live-status")).to_have_text("live")
    await expect(items.first).to_have_attribute("data-channel", "EMAIL")
    await expect(items).to_have_count(16)
    await expect(line(page, shopper.skus[1])).to_be_visible()
    await expect(page.locator("#cart-version")).to_have_text("v2")
