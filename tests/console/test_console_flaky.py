"""The console on a flaky connection: a request that never reaches the gateway is said so, and
leaves nothing wrong on screen (another customer's data, items lost, "Loading…" for ever).

The page's requests to ``/graphql`` go through ``page.route``; the test aborts the one the
connection loses, as a dropped network would.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from playwright.async_api import Page, Route, expect

from tests.conftest import Gateway
from tests.console.conftest import Shopper
from tests.console.test_console import find, hold_live_updates, line, open_console
from tests.console.test_console_switching import Neighbour, neighbour

__all__ = ["neighbour"]  # the fixture, shared

UNREACHABLE = "The gateway cannot be reached"


def dropping(lost: Callable[[dict[str, Any]], bool]) -> Callable[[Route], Any]:
    """A route handler that aborts the requests ``lost`` picks and lets the others through."""

    async def route(route: Route) -> None:
        body = route.request.post_data_json
        if isinstance(body, dict) and lost(body):
            await route.abort("internetdisconnected")
        else:
            await route.continue_()

    return route


def is_older_page(body: dict[str, Any]) -> bool:
    return "ConsoleTimeline" in str(body.get("query")) and bool(body["variables"].get("after"))


async def test_an_older_page_that_fails_keeps_the_items_shown_and_can_be_asked_again(
    page: Page, fed: Gateway, shopper: Shopper
):
    await open_console(page, fed, shopper)
    await find(page, "LOYALTY_CARD", shopper.card)
    items = page.locator("#timeline li")
    await expect(items).to_have_count(15)
    drop = dropping(is_older_page)
    await page.route("**/graphql", drop)

    await page.get_by_role("button", name="Load more").click()
    # Said under the items already shown, which stay.
    error = page.locator("#timeline > ol.timeline ~ .message.error")
    await expect(error).to_contain_text(UNREACHABLE)
    await expect(items).to_have_count(15)
    await expect(page.get_by_role("button", name="Load more")).to_be_visible()

    await page.unroute("**/graphql", drop)
    await page.get_by_role("button", name="Load more").click()
    await expect(items).to_have_count(16)
    await expect(page.locator("#timeline .message.error")).to_have_count(0)
    await expect(page.get_by_role("button", name="Load more")).to_be_hidden()


async def test_a_customer_whose_context_never_comes_shows_nothing_of_the_one_before(
    page: Page, fed: Gateway, shopper: Shopper, neighbour: Neighbour
):
    await open_console(page, fed, shopper)
    await find(page, "LOYALTY_CARD", shopper.card)
    await expect(page.locator("#customer-name")).to_have_text(shopper.name)
    await expect(page.locator("#timeline li")).to_have_count(15)
    lost = dropping(lambda body: body.get("variables", {}).get("id") == neighbour.id)
    await page.route("**/graphql", lost)

    await find(page, "LOYALTY_CARD", neighbour.card)
    await expect(page.locator("#notice")).to_contain_text(UNREACHABLE)
    await expect(page.locator("#customer-name")).not_to_contain_text(shopper.name)
    await expect(page.locator("#customer-meta")).not_to_contain_text(shopper.id)
    await expect(page.locator("#customer .loading")).to_have_count(0)
    await expect(page.locator("#timeline li")).to_have_count(0)
    await expect(page.get_by_role("button", name="Load more")).to_be_hidden()


async def test_a_cart_change_whose_answer_is_lost_shows_the_cart_read_again(
    page: Page, fed: Gateway, shopper: Shopper
):
    hold = await hold_live_updates(page)  # the live cart is lost with the answer

    async def answer_lost(route: Route) -> None:
        body = route.request.post_data_json
        if isinstance(body, dict) and "ConsoleSetQuantity" in str(body.get("query")):
            await route.fetch()  # the gateway saves the change...
            await route.abort("internetdisconnected")  # ...and its answer never comes back
        else:
            await route.continue_()

    await page.route("**/graphql", answer_lost)
    await open_console(page, fed, shopper)
    await find(page, "LOYALTY_CARD", shopper.card)
    await expect(page.locator("#cart-version")).to_have_text("v1")
    await expect(page.locator("#live-status")).to_have_text("live")
    hold["on"] = True

    await line(page, shopper.skus[0]).get_by_role("button", name="One more").click()

    message = page.locator("#cart-message")
    await expect(message).to_contain_text(UNREACHABLE)
    await expect(message).to_contain_text("may have been saved")
    await expect(message).to_contain_text("the cart below is the latest")
    await expect(line(page, shopper.skus[0]).locator(".quantity")).to_have_text("2")
    await expect(page.locator("#cart-version")).to_have_text("v2")
    await expect(page.locator("#panel-cart")).not_to_have_attribute("aria-busy", "true")
