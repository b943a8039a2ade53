"""The store console in a real headless Chromium against a real gateway and the five simulators:
what an assistant does at the counter, checked on the page the assistant sees."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from playwright.async_api import Page, Route, WebSocketRoute, expect

from graph import GraphDatabase
from tests.conftest import Gateway
from tests.console.conftest import Shopper, add_item, screenshot
from tests.federation.conftest import Systems


async def open_console(page: Page, gateway: Gateway, shopper: Shopper) -> None:
    await page.goto(f"{gateway.url}/console?store={shopper.store}")
    await expect(page.locator("#empty-state")).to_be_visible()


async def find(page: Page, kind: str, text: str) -> None:
    await page.select_option("#search-kind", kind)
    await page.fill("#search-text", text)
    await page.click("#search button[type=submit]")


def line(page: Page, sku: str) -> Any:
    return page.locator(f"#cart tr[data-sku='{sku}']")


async def test_a_customer_found_by_card_shows_a_live_priced_cart_that_follows_other_channels(
    page: Page, fed: Gateway, shopper: Shopper
):
    await open_console(page, fed, shopper)
    await find(page, "LOYALTY_CARD", shopper.card.lower())
    await expect(page.locator("#customer-name")).to_have_text(shopper.name)
    first = line(page, shopper.skus[0])
    await expect(first.locator(".quantity")).to_have_text("1")
    await expect(first).to_contain_text("€")
    await expect(first).to_contain_text("in store")
    await expect(page.locator("#sources [data-system=webshop]")).to_have_text("Web shop: live")
    await expect(page.locator("#journey")).to_contain_text("buy a sofa")
    await expect(page.locator("#live-status")).to_have_text("live")
    await page.evaluate("window.notReloaded = true")

    await add_item(fed, shopper.id, shopper.skus[1], "APP")

    await expect(line(page, shopper.skus[1])).to_contain_text("added via App")
    await expect(page.locator("#cart-version")).to_have_text("v2")
    assert await page.evaluate("window.notReloaded") is True
    await screenshot(page, "cart-live")


async def test_a_part_of_a_name_finds_the_customer(page: Page, fed: Gateway, shopper: Shopper):
    await open_console(page, fed, shopper)
    await find(page, "NAME", shopper.name.split()[1].lower())
    await expect(page.locator("#customer-name")).to_have_text(shopper.name)
    await find(page, "EMAIL", "nobody-at-all@example.org")
    await expect(page.locator("#results")).to_contain_text("No customer holds this email")


async def test_a_change_made_elsewhere_meanwhile_is_a_version_conflict_the_assistant_is_told_about(
    page: Page, fed: Gateway, shopper: Shopper
):
    # Hold what the server pushes over the WebSocket, so the page keeps the cart it showed while
    # another channel changes it: the assistant's next click is on an old version.
    hold = {"on": False}

    def relay(ws: WebSocketRoute) -> None:
        server = ws.connect_to_server()
        server.on_message(lambda message: None if hold["on"] else ws.send(message))

    await page.route_web_socket("**/graphql", relay)
    await open_console(page, fed, shopper)
    await find(page, "LOYALTY_CARD", shopper.card)
    await expect(page.locator("#cart-version")).to_have_text("v1")
    await expect(page.locator("#live-status")).to_have_text("live")
    hold["on"] = True

    await add_item(fed, shopper.id, shopper.skus[2], "WEB")
    await line(page, shopper.skus[0]).get_by_role("button", name="One more").click()

    message = page.locator("#cart-message")
    await expect(message).to_contain_text("changed on another channel")
    await expect(message).to_contain_text("now version 2")
    await expect(line(page, shopper.skus[2])).to_be_visible()
    await expect(line(page, shopper.skus[0]).locator(".quantity")).to_have_text("1")
    await screenshot(page, "version-conflict")

    await line(page, shopper.skus[0]).get_by_role("button", name="One more").click()
    await expect(line(page, shopper.skus[0]).locator(".quantity")).to_have_text("2")
    await expect(message).to_be_hidden()


async def hold_live_updates(page: Page) -> dict[str, bool]:
    """Relay the WebSocket until ``hold["on"]``, then keep what the server pushes from the page."""
    hold = {"on": False}

    def relay(ws: WebSocketRoute) -> None:
        server = ws.connect_to_server()
        server.on_message(lambda message: None if hold["on"] else ws.send(message))

    await page.route_web_socket("**/graphql", relay)
    return hold


async def fail_network(route: Route) -> None:
    await route.abort("connectionfailed")


async def fail_with_an_error(route: Route) -> None:
    await route.fulfill(
        status=200,
        content_type="application/json",
        body=json.dumps(
            {
                "data": {"customer": None},
                "errors": [{"message": "cart store down", "extensions": {"code": "INTERNAL"}}],
            }
        ),
    )


@pytest.mark.parametrize(
    ("failure", "cause"),
    [
        (fail_network, "The gateway cannot be reached"),
        (fail_with_an_error, "cart store down"),
    ],
    ids=["unreachable", "error"],
)
async def test_a_conflict_whose_cart_cannot_be_re_read_says_so_and_never_calls_it_the_latest(
    page: Page,
    fed: Gateway,
    shopper: Shopper,
    failure: Callable[[Route], Awaitable[None]],
    cause: str,
):
    hold = await hold_live_updates(page)

    async def re_read_fails(route: Route) -> None:
        if "ConsoleCartNow" in str(route.request.post_data):
            await failure(route)
        else:
            await route.continue_()

    await page.route("**/graphql", re_read_fails)
    await open_console(page, fed, shopper)
    await find(page, "LOYALTY_CARD", shopper.card)
    await expect(page.locator("#cart-version")).to_have_text("v1")
    await expect(page.locator("#live-status")).to_have_text("live")
    hold["on"] = True

    await add_item(fed, shopper.id, shopper.skus[2], "WEB")
    await line(page, shopper.skus[0]).get_by_role("button", name="One more").click()

    message = page.locator("#cart-message")
    await expect(message).to_contain_text("could not be re-read")
    await expect(message).to_contain_text("now version 2")
    await expect(message).to_contain_text(cause)
    await expect(message).not_to_contain_text("is the latest")
    await expect(page.locator("#panel-cart")).not_to_have_attribute("aria-busy", "true")
    await expect(page.locator("#cart-version")).to_have_text("v1")


async def test_resuming_the_journey_here_shows_the_hand_off_and_the_timeline_filters_by_channel(
    page: Page, fed: Gateway, shopper: Shopper
):
    await open_console(page, fed, shopper)
    await page.select_option("#my-channel", "CALL_CENTRE")
    await find(page, "LOYALTY_CARD", shopper.card)
    await page.get_by_role("button", name="Resume here").click()

    handoff = page.locator("#handoff")
    await expect(handoff).to_contain_text("Resumed here · step 3 on Call centre")
    await expect(handoff).to_contain_text(shopper.skus[1])
    await expect(page.locator("#timeline li").first).to_contain_text("resume")

    await page.select_option("#timeline-channel", "STORE")
    items = page.locator("#timeline li")
    await expect(items).to_have_count(2)
    for channel in await items.evaluate_all("nodes => nodes.map(n => n.dataset.channel)"):
        assert channel == "STORE"
    await page.select_option("#timeline-channel", "CALL_CENTRE")
    await expect(items).to_have_count(2)  # the call, and the resumption here
    await screenshot(page, "journey-resumed")


async def test_a_failing_channel_system_shows_a_degraded_badge_and_the_rest_of_the_page(
    page: Page, fed: Gateway, systems: Systems, shopper: Shopper
):
    await systems.faults("webshop", errorRate=1.0)
    await open_console(page, fed, shopper)
    await find(page, "LOYALTY_CARD", shopper.card)

    await expect(page.locator("#sources [data-system=webshop]")).to_have_text(
        "Web shop: unavailable"
    )
    await expect(page.locator("#panel-cart h3 .degraded")).to_have_text("Web shop: unavailable")
    await expect(line(page, shopper.skus[0])).to_contain_text("price unavailable")
    await expect(page.locator("#journey")).to_contain_text("buy a sofa")
    await screenshot(page, "degraded-webshop")


async def test_older_interactions_load_a_page_at_a_time(page: Page, fed: Gateway, shopper: Shopper):
    await open_console(page, fed, shopper)
    await find(page, "LOYALTY_CARD", shopper.card)
    items = page.locator("#timeline li")
    await expect(items).to_have_count(15)
    await expect(items.first).to_contain_text("call")
    await page.get_by_role("button", name="Load more").click()
    await expect(items).to_have_count(16)
    await expect(items.last).to_have_attribute("data-channel", "WEB")  # the oldest view
    await expect(page.get_by_role("button", name="Load more")).to_be_hidden()


async def test_the_customer_view_shows_consents_as_recorded(
    page: Page, fed: Gateway, seeded: GraphDatabase, shopper: Shopper
):
    decide = """mutation($c: ID!, $p: ConsentPurpose!, $g: Boolean!) {
      setConsent(customerId: $c, purpose: $p, granted: $g, channel: STORE) { granted } }"""
    try:
        for purpose, granted in (("MARKETING", False), ("PERSONALISATION", True)):
            body = await fed.query(decide, {"c": shopper.id, "p": purpose, "g": granted})
            assert "errors" not in body, body
        await open_console(page, fed, shopper)
        await find(page, "LOYALTY_CARD", shopper.card)
        await expect(page.locator("#consents li")).to_have_count(2)
        await expect(page.locator("#consents li[data-purpose=MARKETING]")).to_contain_text(
            "marketing refused"
        )
        await expect(page.locator("#consents li[data-purpose=PERSONALISATION]")).to_contain_text(
            "personalisation granted"
        )
        await page.get_by_role("link", name="Journey analytics →").click()
        await expect(page.locator("[data-figure=revenue]")).to_be_visible()
        await page.go_back()
        await expect(page.locator("#consents li")).to_have_count(2)
        await screenshot(page, "consents")
    finally:
        await seeded.write(
            "MATCH (k:Consent) WHERE k.id STARTS WITH $prefix DETACH DELETE k",
            {"prefix": f"{shopper.id}:"},
        )


async def test_the_channel_in_the_address_is_taken_only_when_the_console_serves_it(
    page: Page, fed: Gateway, shopper: Shopper
):
    await page.goto(f"{fed.url}/console?store={shopper.store}&channel=call_centre")
    await expect(page.locator("#my-channel")).to_have_value("CALL_CENTRE")
    await page.goto(f"{fed.url}/console?store={shopper.store}&channel=WEB")
    await expect(page.locator("#my-channel")).to_have_value("STORE")
