"""The console against a gateway that refuses anonymous callers (as in production): the assistant
is asked for a partner key once, and both the HTTP reads and the live subscription use it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from playwright.async_api import Dialog, Page, WebSocket, WebSocketRoute, expect
from redis.asyncio import Redis

from gateway.auth import forget_partner
from graph import GraphDatabase
from graph.partners import create_partner, revoke_partner
from tests.conftest import Gateway, Services, running_gateway
from tests.console.conftest import Shopper, add_item
from tests.federation.conftest import Systems

READ_SCOPES = ("customer:read", "pii:read", "cart:read", "history:read", "recommendations:read")


@pytest.fixture
async def locked(
    services: Services, seeded: GraphDatabase, systems: Systems, clean_stale_answers: None
) -> AsyncIterator[Gateway]:
    settings = services.settings(
        migrate_on_start=False,
        allow_anonymous=False,
        # Credentials of a live connection checked again often: a revoked key closes it at once.
        ws_reauth_s=0.2,
        **systems.settings_urls(),
    )
    async with running_gateway(settings) as gateway:
        yield gateway


async def enter_key_and_open(page: Page, gateway: Gateway, key: str, shopper: Shopper) -> None:
    async def answer(dialog: Dialog) -> None:
        await dialog.accept(key)

    page.on("dialog", answer)
    await page.goto(f"{gateway.url}/console?store={shopper.store}")
    await page.select_option("#search-kind", "LOYALTY_CARD")
    await page.fill("#search-text", shopper.card)
    await page.click("#search button[type=submit]")
    await expect(page.locator("#customer-name")).to_have_text(shopper.name)


async def test_the_assistant_enters_a_key_once_and_the_page_reads_and_follows_with_it(
    page: Page, locked: Gateway, fed: Gateway, seeded: GraphDatabase, shopper: Shopper
) -> None:
    _, key = await create_partner(seeded, "console-test", READ_SCOPES, (), None)
    asked: list[str] = []

    async def answer(dialog: Dialog) -> None:
        asked.append(dialog.message)
        await dialog.accept(key)

    page.on("dialog", answer)
    await page.goto(f"{locked.url}/console?store={shopper.store}")
    await page.select_option("#search-kind", "LOYALTY_CARD")
    await page.fill("#search-text", shopper.card)
    await page.click("#search button[type=submit]")

    await expect(page.locator("#customer-name")).to_have_text(shopper.name)
    await expect(page.locator("#live-status")).to_have_text("live")
    await add_item(fed, shopper.id, shopper.skus[1], "APP")
    await expect(page.locator("#cart-version")).to_have_text("v2")
    assert len(asked) == 1
    assert "API key" in asked[0]


async def test_a_key_without_some_read_scopes_shows_why_those_panels_are_empty_and_the_rest(
    page: Page, locked: Gateway, seeded: GraphDatabase, shopper: Shopper
) -> None:
    _, key = await create_partner(seeded, "console-narrow", ("customer:read", "pii:read"), (), None)

    async def answer(dialog: Dialog) -> None:
        await dialog.accept(key)

    page.on("dialog", answer)
    await page.goto(f"{locked.url}/console?store={shopper.store}")
    await page.select_option("#search-kind", "LOYALTY_CARD")
    await page.fill("#search-text", shopper.card)
    await page.click("#search button[type=submit]")

    await expect(page.locator("#customer-name")).to_have_text(shopper.name)
    # The shopper's cart holds a line: "empty" would be wrong, the key just may not read it.
    await expect(page.locator("#cart")).to_have_text(
        "Unavailable: this field needs the `cart:read` scope."
    )
    await expect(page.locator("#recommendations")).to_contain_text("`recommendations:read`")
    await expect(page.locator("#timeline")).to_contain_text("`history:read`")
    await expect(page.locator("#customer .loading")).to_have_count(0)
    await expect(page.locator("#identities")).to_contain_text(shopper.card)
    await page.select_option("#timeline-channel", "STORE")
    await expect(page.locator("#timeline")).to_contain_text("`history:read`")


async def test_a_key_revoked_while_live_stops_the_live_client_and_the_assistant_is_told(
    page: Page, locked: Gateway, services: Services, seeded: GraphDatabase, shopper: Shopper
) -> None:
    created, key = await create_partner(seeded, "console-revoked", READ_SCOPES, (), None)
    sockets: list[WebSocket] = []

    def opened(socket: WebSocket) -> None:  # Playwright cannot take a bound builtin
        sockets.append(socket)

    page.on("websocket", opened)
    await enter_key_and_open(page, locked, key, shopper)
    await expect(page.locator("#live-status")).to_have_text("live")

    partner = await revoke_partner(seeded, created.id)
    assert partner is not None
    redis = Redis.from_url(services.redis.config.url)
    try:
        await forget_partner(redis, partner)
    finally:
        await redis.aclose()

    # The gateway closes the socket with 4403: the page stops there instead of retrying forever.
    await expect(page.locator("#live-status")).to_have_text("refused")
    notice = page.locator("#notice")
    await expect(notice).to_contain_text("refused this API key for live updates (4403")
    await expect(notice).to_contain_text("no longer follow other channels")
    await expect(page.locator("#cart-message")).to_be_hidden()
    assert len(sockets) == 1
    assert sockets[0].is_closed()


async def test_a_transient_close_is_retried_and_the_page_follows_again(
    page: Page, locked: Gateway, fed: Gateway, seeded: GraphDatabase, shopper: Shopper
) -> None:
    _, key = await create_partner(seeded, "console-transient", READ_SCOPES, (), None)
    connections: list[WebSocketRoute] = []

    async def first_refused_then_relayed(ws: WebSocketRoute) -> None:
        connections.append(ws)
        if len(connections) == 1:
            await ws.close(code=1013, reason="Try Again Later")  # the gateway's "dependency down"
        else:
            ws.connect_to_server()

    await page.route_web_socket("**/graphql", first_refused_then_relayed)
    await enter_key_and_open(page, locked, key, shopper)

    await expect(page.locator("#live-status")).to_have_text("live")
    await add_item(fed, shopper.id, shopper.skus[1], "APP")
    await expect(page.locator("#cart-version")).to_have_text("v2")
    assert len(connections) == 2
    await expect(page.locator("#notice")).to_be_hidden()
