"""The journey analytics page while its requests are on their way: it says it is loading, shows
only the window asked for last, and lists each forced contact once however "Load more" is
clicked. The page's requests to ``/graphql`` go through ``page.route`` to hold or reshape them.

Uses the month of tests/console/test_analytics_page.py (May 2033) and adds one forced contact.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import pytest
from playwright.async_api import Page, Route, expect

from tests.conftest import Gateway
from tests.console import test_analytics_page as analytics_page
from tests.console.conftest import HeldAnswer
from tests.console.test_analytics_page import FROM, TO, _event, figure, open_month
from tests.federation.test_analytics import _post

month = analytics_page.month
JULY_FROM, JULY_TO = "2033-07-01", "2033-08-01"  # a window without any data


async def round_trip(page: Page) -> None:
    """One request the page itself makes: what reached it before has been handled by then."""
    await page.evaluate("() => fetch('/console/analytics').then((r) => r.text())")


async def choose_window(page: Page, start: str, end: str) -> None:
    await page.fill("#from", start)
    await page.fill("#to", end)
    await page.get_by_role("button", name="Show").click()


def is_analytics(body: dict[str, Any]) -> bool:
    return "ConsoleAnalytics" in str(body.get("query"))


async def test_the_page_says_it_is_loading_until_the_figures_arrive(
    page: Page, fed: Gateway, month: None
):
    held = HeldAnswer(is_analytics)
    await page.route("**/graphql", held.route)
    await page.goto(f"{fed.url}/console/analytics?from={FROM}&to={TO}")
    await held.sent.wait()
    await expect(page.locator("#loading")).to_be_visible()
    await held.release(page)
    await expect(figure(page, "revenue")).to_have_text("€130.00")
    await expect(page.locator("#loading")).to_be_hidden()


async def test_a_window_answering_late_never_replaces_the_window_chosen_since(
    page: Page, fed: Gateway, month: None
):
    held = HeldAnswer(lambda body: is_analytics(body) and body["variables"]["from"] == FROM)
    await page.route("**/graphql", held.route)
    await page.goto(f"{fed.url}/console/analytics?from={FROM}&to={TO}")
    await held.sent.wait()
    await choose_window(page, JULY_FROM, JULY_TO)
    await expect(figure(page, "revenue")).to_have_text("€0.00")

    await held.release(page)
    await round_trip(page)

    await expect(figure(page, "revenue")).to_have_text("€0.00")
    await expect(page.locator("#from")).to_have_value(JULY_FROM)
    await expect(page.locator("#window-label")).to_contain_text(JULY_FROM)
    await expect(page.locator("#loading")).to_be_hidden()


async def test_a_refused_window_leaves_nothing_of_the_window_shown_before(
    page: Page, fed: Gateway, month: None
):
    await open_month(page, fed)
    await expect(figure(page, "revenue")).to_have_text("€130.00")
    await choose_window(page, JULY_TO, JULY_FROM)
    await expect(page.locator("#notice")).to_have_text("`from` must be before `to`")
    await expect(page.locator("[data-figure]")).to_have_count(0)
    await expect(page.locator("#forced li")).to_have_count(0)
    await expect(page.get_by_text("All channel systems healthy.")).to_have_count(0)


@pytest.fixture
async def second_forced_contact(month: None, fed: Gateway) -> None:
    """One more forced contact in the month (removed with it): an error page, then a chat."""
    await _post(fed, "web", [_event("h1", "2033-05-20T09:00:00Z", "view", outcome="error")])
    await _post(fed, "chat", [_event("h2", "2033-05-20T09:02:00Z", "chat")])


async def test_clicking_load_more_twice_lists_each_forced_contact_once(
    page: Page, fed: Gateway, second_forced_contact: None
):
    pages_asked: list[str] = []

    async def one_per_page(route: Route) -> None:
        # Pages of one contact, so the month's two fill two pages.
        body = route.request.post_data_json
        if "ConsoleForcedContacts" in body["query"]:
            pages_asked.append(body["variables"]["after"])
        query = body["query"].replace("forcedContacts(first: 20", "forcedContacts(first: 1")
        await route.continue_(post_data={**body, "query": query})

    await page.route("**/graphql", one_per_page)
    await open_month(page, fed)
    forced = page.locator("#forced li")
    await expect(forced).to_have_count(1)
    await expect(page.locator("#forced-count")).to_have_text("(2)")

    await page.evaluate(
        "() => { const more = document.getElementById('forced-more'); more.click(); more.click(); }"
    )
    await expect(forced).to_have_count(2)
    await expect(page.locator("#forced-more")).to_be_hidden()
    await round_trip(page)

    assert len(pages_asked) == 1, pages_asked
    await expect(forced).to_have_count(2)
    ids = await forced.evaluate_all("nodes => nodes.map((n) => n.dataset.contact)")
    assert len(set(ids)) == 2, ids


@pytest.mark.parametrize("offset", ["+02:00", "-05:30"])
async def test_a_window_with_an_offset_keeps_its_instants_when_shown_again_from_the_picker(
    page: Page, fed: Gateway, month: None, offset: str
):
    start, end = f"2033-05-01T00:00:00{offset}", f"2033-06-01T00:00:00{offset}"
    asked: list[dict[str, str]] = []

    async def record(route: Route) -> None:
        body = route.request.post_data_json
        if is_analytics(body):
            asked.append(body["variables"])
        await route.continue_()

    await page.route("**/graphql", record)
    query = f"from={start}&to={end}".replace("+", "%2B")
    await page.goto(f"{fed.url}/console/analytics?{query}")
    await expect(figure(page, "revenue")).to_be_visible()
    # The picker shows the UTC days of the window's bounds.
    await expect(page.locator("#from")).to_have_value(
        datetime.fromisoformat(start).astimezone(UTC).date().isoformat()
    )
    async with page.expect_response(lambda r: is_analytics(r.request.post_data_json or {})):
        await page.get_by_role("button", name="Show").click()
    await expect(figure(page, "revenue")).to_be_visible()

    assert len(asked) == 2
    for bound in ("from", "to"):
        assert datetime.fromisoformat(asked[1][bound]) == datetime.fromisoformat(asked[0][bound])
    assert datetime.fromisoformat(asked[0]["from"]) == datetime.fromisoformat(start)
    in_url = await page.evaluate("new URLSearchParams(location.search).get('to')")
    assert datetime.fromisoformat(in_url) == datetime.fromisoformat(end)


async def test_a_day_changed_in_the_picker_is_that_days_utc_midnight_and_the_other_bound_stays(
    page: Page, fed: Gateway, month: None
):
    start, end = "2033-05-01T00:00:00+02:00", "2033-06-01T00:00:00+02:00"
    asked: list[dict[str, str]] = []

    async def record(route: Route) -> None:
        body = route.request.post_data_json
        if is_analytics(body):
            asked.append(body["variables"])
        await route.continue_()

    await page.route("**/graphql", record)
    query = f"from={start}&to={end}".replace("+", "%2B")
    await page.goto(f"{fed.url}/console/analytics?{query}")
    await expect(figure(page, "revenue")).to_be_visible()
    await page.fill("#to", "2033-05-20")
    async with page.expect_response(lambda r: is_analytics(r.request.post_data_json or {})):
        await page.get_by_role("button", name="Show").click()

    assert datetime.fromisoformat(asked[-1]["from"]) == datetime.fromisoformat(start)
    assert asked[-1]["to"] == "2033-05-20T00:00:00Z"


async def test_a_plus_left_unencoded_in_the_address_is_read_as_the_offsets_sign(
    page: Page, fed: Gateway, month: None
):
    start, end = "2033-05-01T00:00:00+02:00", "2033-06-01T00:00:00+02:00"
    asked: list[dict[str, str]] = []

    async def record(route: Route) -> None:
        body = route.request.post_data_json
        if is_analytics(body):
            asked.append(body["variables"])
        await route.continue_()

    await page.route("**/graphql", record)
    # As typed or pasted by hand: the "+" is not written %2B.
    await page.goto(f"{fed.url}/console/analytics?from={start}&to={end}")
    await expect(figure(page, "revenue")).to_be_visible()
    assert [datetime.fromisoformat(asked[0][b]) for b in ("from", "to")] == [
        datetime.fromisoformat(start),
        datetime.fromisoformat(end),
    ]

    # The address the page writes when the window is shown again encodes the sign, and reads
    # back as the same window.
    async with page.expect_response(lambda r: is_analytics(r.request.post_data_json or {})):
        await page.get_by_role("button", name="Show").click()
    await expect(figure(page, "revenue")).to_be_visible()
    assert "%2B02" in page.url
    in_url = await page.evaluate("new URLSearchParams(location.search).get('from')")
    assert datetime.fromisoformat(in_url) == datetime.fromisoformat(start)


async def test_a_bound_in_the_address_that_is_no_instant_is_explained_and_not_asked_for(
    page: Page, fed: Gateway
):
    asked: list[dict[str, str]] = []

    async def record(route: Route) -> None:
        body = route.request.post_data_json
        if is_analytics(body):
            asked.append(body["variables"])
        await route.continue_()

    await page.route("**/graphql", record)
    await page.goto(f"{fed.url}/console/analytics?from=yesterday&to={TO}")
    await expect(page.locator("#notice")).to_contain_text("“from=yesterday”, which is not a date")
    await expect(page.locator("#notice")).to_contain_text("2033-05-01T00:00:00+02:00")
    await expect(page.locator("#from")).to_have_value("")
    await round_trip(page)
    assert asked == []
    await expect(page.locator("[data-figure]")).to_have_count(0)


async def test_load_more_works_for_a_window_shown_again_while_a_page_of_the_one_before_is_held(
    page: Page, fed: Gateway, second_forced_contact: None
):
    first_page_held = asyncio.Event()
    release = asyncio.Event()

    async def one_per_page_first_held(route: Route) -> None:
        body = route.request.post_data_json
        query = body["query"].replace("forcedContacts(first: 20", "forcedContacts(first: 1")
        if "ConsoleForcedContacts" in query and not first_page_held.is_set():
            first_page_held.set()
            await release.wait()
        await route.continue_(post_data={**body, "query": query})

    await page.route("**/graphql", one_per_page_first_held)
    await open_month(page, fed)
    forced = page.locator("#forced li")
    await expect(forced).to_have_count(1)
    more = page.locator("#forced-more")
    await more.click()
    await first_page_held.wait()

    await page.get_by_role("button", name="Show").click()  # the same window, asked again
    await expect(page.locator("#loading")).to_be_hidden()
    await expect(forced).to_have_count(1)
    # Drawn with the window's first page, not once the page of the window before gives up.
    assert await more.is_enabled()
    await more.click()
    await expect(forced).to_have_count(2)

    release.set()
    await round_trip(page)
    ids = await forced.evaluate_all("nodes => nodes.map((n) => n.dataset.contact)")
    assert len(ids) == len(set(ids)) == 2, ids
    await expect(more).to_be_hidden()


@pytest.mark.parametrize(
    ("start", "end"),
    [("2033-05-01", "2033-06-01"), ("2033-05-01T00:00:00", "2033-06-01T00:00")],
    ids=["days", "times-without-offset"],
)
async def test_bounds_in_the_address_without_a_timezone_are_read_as_utc(
    page: Page, fed: Gateway, month: None, start: str, end: str
):
    asked: list[dict[str, str]] = []

    async def record(route: Route) -> None:
        body = route.request.post_data_json
        if is_analytics(body):
            asked.append(body["variables"])
        await route.continue_()

    await page.route("**/graphql", record)
    await page.goto(f"{fed.url}/console/analytics?from={start}&to={end}")

    await expect(figure(page, "revenue")).to_have_text("€130.00")
    await expect(page.locator("#notice")).to_be_hidden()
    await expect(page.locator("#from")).to_have_value("2033-05-01")
    await expect(page.locator("#to")).to_have_value("2033-06-01")
    assert [datetime.fromisoformat(asked[0][b]) for b in ("from", "to")] == [
        datetime.fromisoformat(FROM),
        datetime.fromisoformat(TO),
    ]
