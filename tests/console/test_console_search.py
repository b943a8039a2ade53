"""Finding a customer by a name many customers share: every match can be reached, each once."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from playwright.async_api import Page, expect

from graph import GraphDatabase
from graph.seed import CustomerBatch, load_customer_batch
from tests.conftest import Gateway
from tests.console.test_console import find

PAGE = 20  # what the console asks for at a time


@pytest.fixture
async def namesakes(seeded: GraphDatabase) -> AsyncIterator[list[str]]:
    """One more customer than a page of matches holds, all sharing a name nobody else has."""
    u = uuid.uuid4().hex[:10]
    since = datetime.now(UTC) - timedelta(days=3)
    batch = CustomerBatch()
    names = [f"Zoé Namesake{u} {n:02d}" for n in range(PAGE + 1)]
    for n, name in enumerate(names):
        customer = {"id": f"cus_namesake_{u}_{n:02d}", "displayName": name, "createdAt": since}
        batch.customers.append(customer)
    await load_customer_batch(seeded, batch)
    try:
        yield names
    finally:
        await seeded.write(
            "MATCH (c:Customer) WHERE c.id STARTS WITH $prefix DETACH DELETE c",
            {"prefix": f"cus_namesake_{u}_"},
        )


async def test_more_matches_than_a_page_are_all_reachable_each_once(
    page: Page, fed: Gateway, namesakes: list[str]
):
    await page.goto(f"{fed.url}/console")
    token = namesakes[0].split()[1].lower()
    await find(page, "NAME", token)
    matches = page.locator("#results li")
    await expect(matches).to_have_count(PAGE)
    await expect(page.locator("#results h2")).to_have_text(f"{PAGE}+ customers")

    await page.get_by_role("button", name="More matches").click()
    await expect(matches).to_have_count(PAGE + 1)
    await expect(page.locator("#results h2")).to_have_text(f"{PAGE + 1} customers")
    await expect(page.get_by_role("button", name="More matches")).to_have_count(0)
    shown = await matches.locator("button").all_inner_texts()
    assert shown == namesakes  # ordered by name, none twice, none left out

    await matches.get_by_role("button", name=namesakes[PAGE]).click()
    await expect(page.locator("#customer-name")).to_have_text(namesakes[PAGE])
