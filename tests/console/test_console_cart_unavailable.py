"""The console when the gateway could not give the cart ("Unavailable" in its panel): a change
is sent only with the version of a cart read first, never blind onto a cart nobody sees.

The gateway's answers go through ``page.route``: the cart of the context (and, in one test, of
the re-read) comes back null with the error a failing cart read carries; the live carts pushed
over the WebSocket are kept from the page, which would otherwise learn the cart from them.
"""

from __future__ import annotations

from typing import Any

from playwright.async_api import Page, Route, WebSocketRoute, expect

from tests.conftest import Gateway
from tests.console.conftest import Shopper, add_item
from tests.console.test_console import find, line, open_console

CART_DOWN = "the cart could not be read"


def operation(body: Any) -> str:
    words = str(body.get("query", "")).split() if isinstance(body, dict) else []
    return words[1].split("(")[0] if len(words) > 1 else ""


class CartDown:
    """Nulls the cart in the answers of the ``failing`` operations, with a coded error at its
    path, and records every cart change the page sends (operation, variables)."""

    def __init__(self, *failing: str) -> None:
        self.failing = failing
        self.sent: list[tuple[str, dict[str, Any]]] = []

    def relay(self, ws: WebSocketRoute) -> None:
        server = ws.connect_to_server()
        server.on_message(
            lambda message: None if "cartChanged" in str(message) else ws.send(message)
        )

    async def install(self, page: Page) -> None:
        await page.route_web_socket("**/graphql", self.relay)
        await page.route("**/graphql", self.route)

    async def route(self, route: Route) -> None:
        body = route.request.post_data_json
        name = operation(body)
        if name.startswith(("ConsoleAdd", "ConsoleSet", "ConsoleRemove")):
            self.sent.append((name, body["variables"]))
        if name not in self.failing:
            await route.continue_()
            return
        response = await route.fetch()
        answer = await response.json()
        answer["data"]["customer"]["cart"] = None
        error = {"message": CART_DOWN, "path": ["customer", "cart"]}
        error["extensions"] = {"code": "SERVICE_UNAVAILABLE"}
        answer["errors"] = [*answer.get("errors", []), error]
        await route.fulfill(response=response, json=answer)


async def cart_version(gateway: Gateway, customer: str) -> int | None:
    body = await gateway.query(
        "query($c: ID!) { customer(id: $c) { cart { version } } }", {"c": customer}
    )
    cart = body["data"]["customer"]["cart"]
    return None if cart is None else int(cart["version"])


async def test_an_item_added_while_the_cart_is_unavailable_is_sent_with_the_cart_read_first(
    page: Page, fed: Gateway, shopper: Shopper
):
    down = CartDown("ConsoleContext")
    await down.install(page)
    await open_console(page, fed, shopper)
    await find(page, "LOYALTY_CARD", shopper.card)
    await expect(page.locator("#cart")).to_have_text(f"Unavailable: {CART_DOWN}.")
    # Meanwhile another channel changes the cart the assistant cannot see.
    assert await add_item(fed, shopper.id, shopper.skus[1], "APP") == 2

    await page.fill("#add-sku", shopper.skus[2])
    await page.get_by_role("button", name="Add to cart").click()

    await expect(line(page, shopper.skus[2])).to_be_visible()
    await expect(line(page, shopper.skus[1])).to_be_visible()
    await expect(page.locator("#cart-version")).to_have_text("v3")
    await expect(page.locator("#cart-message")).to_be_hidden()
    assert down.sent == [("ConsoleAddItem", down.sent[0][1])]
    assert down.sent[0][1]["expected"] == 2


async def test_an_item_added_while_the_cart_cannot_be_read_at_all_is_not_sent_and_said_why(
    page: Page, fed: Gateway, shopper: Shopper
):
    down = CartDown("ConsoleContext", "ConsoleCartNow")
    await down.install(page)
    await open_console(page, fed, shopper)
    await find(page, "LOYALTY_CARD", shopper.card)
    await expect(page.locator("#cart")).to_have_text(f"Unavailable: {CART_DOWN}.")

    await page.fill("#add-sku", shopper.skus[2])
    await page.get_by_role("button", name="Add to cart").click()

    message = page.locator("#cart-message")
    await expect(message).to_contain_text("your change was not sent")
    await expect(message).to_contain_text(CART_DOWN)
    await expect(page.locator("#panel-cart")).not_to_have_attribute("aria-busy", "true")
    assert down.sent == []
    assert await cart_version(fed, shopper.id) == 1
