"""An assistant's quick double click: one cart change, one resumption, not two.

Both clicks are dispatched in the same turn of the page's event loop (as a double click on a busy
machine arrives), and the page's requests to ``/graphql`` are counted through ``page.route``.
"""

from __future__ import annotations

from typing import Any

from playwright.async_api import Page, Route, expect

from tests.conftest import Gateway
from tests.console.conftest import HeldAnswer, Shopper
from tests.console.test_console import find, line, open_console


class OperationCount:
    """Counts the page's requests per GraphQL operation name, letting every one through."""

    def __init__(self) -> None:
        self.seen: dict[str, int] = {}

    async def route(self, route: Route) -> None:
        await self.route_counted(route)
        await route.continue_()

    async def route_counted(self, route: Route) -> None:
        """Count the request only (another handler lets it through)."""
        body: Any = route.request.post_data_json if route.request.method == "POST" else None
        if isinstance(body, dict):
            words = str(body.get("query", "")).split()
            name = words[1].split("(")[0] if len(words) > 1 else ""
            self.seen[name] = self.seen.get(name, 0) + 1


async def double_click(page: Page, selector: str) -> None:
    await page.locator(selector).first.evaluate("(button) => { button.click(); button.click(); }")


async def round_trip(page: Page) -> None:
    """One request the page makes after the clicks: what they sent has been seen by then."""
    await page.evaluate("() => fetch('/console').then((r) => r.text())")


async def test_a_double_click_on_one_more_changes_the_cart_once_without_a_conflict(
    page: Page, fed: Gateway, shopper: Shopper
):
    count = OperationCount()
    await page.route("**/graphql", count.route)
    await open_console(page, fed, shopper)
    await find(page, "LOYALTY_CARD", shopper.card)
    first = line(page, shopper.skus[0])
    await expect(first.locator(".quantity")).to_have_text("1")

    await double_click(page, f"#cart tr[data-sku='{shopper.skus[0]}'] [aria-label='One more']")
    await expect(first.locator(".quantity")).to_have_text("2")
    await expect(page.locator("#cart-version")).to_have_text("v2")
    await round_trip(page)

    assert count.seen.get("ConsoleSetQuantity") == 1, count.seen
    await expect(page.locator("#cart-message")).to_be_hidden()
    await expect(page.locator("#panel-cart")).not_to_have_attribute("aria-busy", "true")


async def test_a_double_click_on_resume_here_resumes_the_journey_once(
    page: Page, fed: Gateway, shopper: Shopper
):
    count = OperationCount()
    await page.route("**/graphql", count.route)
    await open_console(page, fed, shopper)
    await page.select_option("#my-channel", "CALL_CENTRE")
    await find(page, "LOYALTY_CARD", shopper.card)
    await expect(page.get_by_role("button", name="Resume here")).to_be_visible()

    await double_click(page, "#resume")
    await expect(page.locator("#handoff")).to_contain_text("Resumed here · step 3 on Call centre")
    await expect(page.locator("#timeline li").first).to_contain_text("resume")
    await round_trip(page)

    assert count.seen.get("ConsoleResume") == 1, count.seen
    await expect(page.locator("#timeline li", has_text="resume")).to_have_count(1)


async def test_the_carts_buttons_are_disabled_while_a_change_is_on_its_way(
    page: Page, fed: Gateway, shopper: Shopper
):
    held = HeldAnswer(lambda body: "ConsoleSetQuantity" in str(body.get("query")))
    await page.route("**/graphql", held.route)
    await open_console(page, fed, shopper)
    await find(page, "LOYALTY_CARD", shopper.card)
    first = line(page, shopper.skus[0])
    await expect(first.locator(".quantity")).to_have_text("1")

    await first.get_by_role("button", name="One more").click()
    await held.sent.wait()
    add = page.get_by_role("button", name="Add to cart")
    await expect(add).to_be_disabled()
    await expect(first.get_by_role("button", name="One more")).to_be_disabled()
    await expect(first.get_by_role("button", name="One less")).to_be_disabled()

    await held.release(page)
    await expect(first.locator(".quantity")).to_have_text("2")
    await expect(add).to_be_enabled()
    await expect(first.get_by_role("button", name="One more")).to_be_enabled()


async def test_resume_here_is_disabled_while_the_resumption_is_on_its_way(
    page: Page, fed: Gateway, shopper: Shopper
):
    held = HeldAnswer(lambda body: "ConsoleResume" in str(body.get("query")))
    await page.route("**/graphql", held.route)
    await open_console(page, fed, shopper)
    await find(page, "LOYALTY_CARD", shopper.card)
    resume = page.get_by_role("button", name="Resume here")
    await expect(resume).to_be_enabled()

    await resume.click()
    await held.sent.wait()
    await expect(resume).to_be_disabled()

    await held.release(page)
    await expect(page.locator("#handoff")).to_contain_text("Resumed here")
    await expect(resume).to_be_enabled()


async def test_a_store_chosen_while_a_change_is_on_its_way_keeps_the_carts_buttons_disabled(
    page: Page, fed: Gateway, shopper: Shopper
):
    held = HeldAnswer(lambda body: "ConsoleSetQuantity" in str(body.get("query")))
    await page.route("**/graphql", held.route)
    await open_console(page, fed, shopper)
    await find(page, "LOYALTY_CARD", shopper.card)
    first = line(page, shopper.skus[0])
    await expect(first.locator(".quantity")).to_have_text("1")
    await expect(first).to_contain_text("in store")

    await first.get_by_role("button", name="One more").click()
    await held.sent.wait()
    # No store any more: the customer is opened again (its panels read "Loading..." at once).
    await page.locator("#my-store").fill("")
    await page.locator("#my-store").dispatch_event("change")
    await expect(page.locator("#cart .loading")).to_have_count(0)
    await expect(first.locator(".quantity")).to_have_text("1")
    await expect(first).not_to_contain_text("in store")
    add = page.get_by_role("button", name="Add to cart")
    await expect(add).to_be_disabled()
    await expect(first.get_by_role("button", name="One more")).to_be_disabled()
    await expect(page.locator("#panel-cart")).to_have_attribute("aria-busy", "true")

    await held.release(page)
    await expect(first.locator(".quantity")).to_have_text("2")
    await expect(page.locator("#cart-version")).to_have_text("v2")
    await expect(add).to_be_enabled()
    await expect(first.get_by_role("button", name="One more")).to_be_enabled()
    await expect(page.locator("#panel-cart")).not_to_have_attribute("aria-busy", "true")
    # The cart shown is the one of no store, not the answer's, read for the store before.
    await expect(first).not_to_contain_text("in store")
    await expect(page.locator("#cart-message")).to_be_hidden()


async def test_a_store_chosen_while_a_resumption_is_on_its_way_keeps_resume_here_disabled(
    page: Page, fed: Gateway, shopper: Shopper
):
    count = OperationCount()
    held = HeldAnswer(lambda body: "ConsoleResume" in str(body.get("query")))

    async def counted_and_held(route: Route) -> None:
        await count.route_counted(route)
        await held.route(route)

    await page.route("**/graphql", counted_and_held)
    await open_console(page, fed, shopper)
    await find(page, "LOYALTY_CARD", shopper.card)
    resume = page.get_by_role("button", name="Resume here")
    await expect(resume).to_be_enabled()

    await resume.click()
    await held.sent.wait()
    # No store any more: the customer is opened again, its journey drawn again.
    await page.locator("#my-store").fill("")
    await page.locator("#my-store").dispatch_event("change")
    await expect(page.locator("#journey .loading")).to_have_count(0)
    await expect(page.locator("#journey")).to_contain_text("buy a sofa")
    await expect(resume).to_be_disabled()
    await resume.evaluate("(button) => button.click()")  # a click now changes nothing

    await held.release(page)
    await expect(page.locator("#handoff")).to_contain_text("Resumed here")
    await expect(resume).to_be_enabled()
    await round_trip(page)
    assert count.seen.get("ConsoleResume") == 1, count.seen
    await expect(page.locator("#timeline li", has_text="resume")).to_have_count(1)
