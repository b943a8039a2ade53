"""The console when the customer's activity subscription ends on an error: the assistant is told,
under the timeline, that it no longer follows other channels, and why; an error that may pass
(the gateway's Neo4j too slow, a rate limit) has the console subscribe again by itself.

The first test is the gateway's own answer (the customer erased while the console shows them);
the second answers the page's first ``customerActivity`` with the graphql-transport-ws ``error``
message the gateway sends for an operation it cannot run now (``page.route_web_socket``), and
lets the page's next subscription through to the gateway.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from playwright.async_api import Page, WebSocketRoute, expect

from tests.conftest import Gateway
from tests.console.conftest import Shopper
from tests.console.test_console import find, open_console
from tests.federation.test_privacy import ERASE

# Every text the live message under the timeline showed, recorded in the page as it is shown (it
# is hidden again when the subscription starts again, which a test does not hold back).
RECORD_SHOWN = """() => {
  window.liveShown = [];
  const box = document.getElementById("timeline-live");
  if (!box) return;
  new MutationObserver(() => {
    if (!box.hidden) window.liveShown.push(box.textContent);
  }).observe(box, { attributes: true, childList: true, characterData: true, subtree: true });
}"""


async def test_an_activity_subscription_ended_by_the_gateway_is_told_under_the_timeline(
    quiet: Gateway, page: Page, shopper: Shopper
):
    await open_console(page, quiet, shopper)
    await find(page, "LOYALTY_CARD", shopper.card)
    items = page.locator("#timeline li")
    await expect(items).to_have_count(15)
    await expect(page.locator("#live-status")).to_have_text("live")
    live = page.locator("#timeline-live")
    await expect(live).to_be_hidden()

    body = await quiet.query(ERASE, {"id": shopper.id})
    assert "errors" not in body, body

    # NOT_FOUND (CUSTOMER_ERASED): the same subscription would end the same way, so it is not
    # started again, and the assistant is told what to do.
    await expect(live).to_be_visible()
    await expect(live).to_have_attribute("data-code", "NOT_FOUND")
    await expect(live).to_contain_text("stopped following other channels")
    await expect(live).to_contain_text("Open the customer again")
    await expect(items).to_have_count(15)  # what was shown stays


def _is_activity(message: dict[str, Any]) -> bool:
    payload = message.get("payload") or {}
    return message.get("type") == "subscribe" and "customerActivity" in payload.get("query", "")


async def test_an_activity_subscription_refused_for_now_is_told_and_started_again(
    quiet: Gateway, page: Page, shopper: Shopper
):
    activity: list[str] = []
    again = asyncio.Event()

    def relay(ws: WebSocketRoute) -> None:
        server = ws.connect_to_server()

        def from_page(raw: str | bytes) -> None:
            message = json.loads(raw)
            if _is_activity(message):
                activity.append(message["id"])
                if len(activity) == 1:
                    unavailable = {
                        "message": "The graph did not answer in time; try again.",
                        "extensions": {"code": "SERVICE_UNAVAILABLE"},
                    }
                    error = {"id": message["id"], "type": "error", "payload": [unavailable]}
                    ws.send(json.dumps(error))
                    return
                again.set()
            server.send(raw)

        ws.on_message(from_page)

    await page.route_web_socket("**/graphql", relay)
    await open_console(page, quiet, shopper)
    await page.evaluate(RECORD_SHOWN)
    await find(page, "LOYALTY_CARD", shopper.card)
    await expect(page.locator("#timeline li")).to_have_count(15)

    await asyncio.wait_for(again.wait(), timeout=60)
    live = page.locator("#timeline-live")
    await expect(live).to_be_hidden()
    shown = await page.evaluate("window.liveShown")
    assert shown, "the error was never shown"
    assert "The graph did not answer in time" in shown[0], shown
    assert "Trying again" in shown[0], shown
    await expect(page.locator("#live-status")).to_have_text("live")
