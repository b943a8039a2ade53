"""A page size setting above what the channel systems page (100) still serves orders and tickets:
each page asked of a system holds at most its own limit, so a connection page holds at most 100
items with ``hasNextPage`` exact, and the next page carries on from its end cursor."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest

from gateway.services import free_port
from graph import GraphDatabase
from graph.seed import reference_data
from tests.conftest import Gateway, Services, running_gateway
from tests.federation.conftest import SEED, Systems, a_customer, federated_settings

SYSTEM_PAGE_LIMIT = 100  # simulators/_pagination.py: what the OMS and the contact centre page

ORDERS = """query($id: ID!, $after: String) { customer(id: $id) {
  orders(first: 150, after: $after) { edges { node { id } } pageInfo { hasNextPage endCursor } }
} }"""
TICKETS = """query($id: ID!) { customer(id: $id) {
  tickets(first: 150) { edges { node { id } } pageInfo { hasNextPage } } } }"""


@pytest.fixture
async def wide_pages(
    services: Services, seeded: GraphDatabase, systems: Systems, clean_stale_answers: None
) -> AsyncIterator[Gateway]:
    await systems.reset_all()
    settings = federated_settings(services, systems, port=free_port(), max_page_size=150)
    async with running_gateway(settings) as gateway:
        yield gateway
    await systems.reset_all()


async def _place_orders(systems: Systems, email: str, count: int) -> None:
    """``count`` more orders of one unit each for ``email``, on SKUs the OMS has in stock."""
    skus = [product["sku"] for product in reference_data(SEED).products]
    placed = 0
    for start in range(0, len(skus), 100):
        rows = await systems.get(
            "oms", "/oms/availability", skus=",".join(skus[start : start + 100])
        )
        for row in rows["availability"]:
            for _ in range(row["online"]):
                if placed == count:
                    return
                body = {"customerEmail": email, "lines": [{"sku": row["sku"], "qty": 1}]}
                headers = {"Idempotency-Key": f"page-limits-{uuid.uuid4().hex}"}
                async with systems.session.post(
                    systems.urls["oms"] + "/oms/orders", json=body, headers=headers
                ) as reply:
                    assert reply.status == 201, await reply.text()
                placed += 1
    raise AssertionError(f"only {placed} of {count} orders could be placed")


async def test_orders_past_the_systems_page_limit_come_in_pages_of_at_most_100(
    wide_pages: Gateway, systems: Systems
):
    customer = a_customer("email")
    [email] = customer["identities"]["email"][:1]
    held = (await systems.get("oms", "/oms/orders", customerEmail=email))["total"]
    await _place_orders(systems, email, SYSTEM_PAGE_LIMIT + 20 - held)
    truth: list[str] = []
    for page in (1, 2):
        listed = await systems.get(
            "oms",
            "/oms/orders",
            customerEmails=",".join(sorted(customer["identities"]["email"])),
            page=str(page),
            pageSize="100",
        )
        truth += [order["orderId"] for order in listed["items"]]

    first = await wide_pages.query(ORDERS, {"id": customer["id"]})
    assert "errors" not in first, first
    page = first["data"]["customer"]["orders"]
    assert len(page["edges"]) == SYSTEM_PAGE_LIMIT
    assert page["pageInfo"]["hasNextPage"] is True
    second = await wide_pages.query(
        ORDERS, {"id": customer["id"], "after": page["pageInfo"]["endCursor"]}
    )
    assert "errors" not in second, second
    rest = second["data"]["customer"]["orders"]
    assert rest["pageInfo"]["hasNextPage"] is False

    ids = [edge["node"]["id"] for edge in page["edges"] + rest["edges"]]
    assert ids == truth
    assert len(ids) >= SYSTEM_PAGE_LIMIT + 20


async def test_tickets_asked_past_the_systems_page_limit_are_served(
    wide_pages: Gateway, systems: Systems
):
    customer = a_customer("contact_centre_id")
    cc_ids = ",".join(sorted(customer["identities"]["contact_centre_id"]))
    listed = await systems.get("contact", "/cc/v2/tickets", customerIds=cc_ids, pageSize="100")

    body = await wide_pages.query(TICKETS, {"id": customer["id"]})

    assert "errors" not in body, body
    tickets = body["data"]["customer"]["tickets"]
    assert [edge["node"]["id"] for edge in tickets["edges"]] == [
        ticket["ticketId"] for ticket in listed["items"]
    ]
    assert tickets["pageInfo"]["hasNextPage"] is (listed["total"] > SYSTEM_PAGE_LIMIT)
