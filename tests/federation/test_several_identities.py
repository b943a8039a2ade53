"""A customer holding two emails and two contact-centre ids sees the orders and the tickets of all
of them as one list each, paged over both in one call per system; a ticket cursor pages only the
list (the ``status`` filter) it came from."""

from __future__ import annotations

import base64
import uuid
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from dataclasses import dataclass
from typing import Any

import pytest

from gateway.services import free_port
from graph import GraphDatabase, IdentityKind
from graph.seed import customer_batches, reference_data
from graph.stitching import DEFAULT_LIMITS, LinkRequest, StitchPolicy, link_identity
from simulators import SimulatorConfig
from tests.conftest import Gateway, Services, running_gateway
from tests.federation.conftest import (
    CUSTOMERS,
    SEED,
    Systems,
    federated_settings,
    seeded_customers,
    serve_simulators,
)

# The OMS and the contact centre of this module know 40 customers more than the graph: their
# emails and contact-centre ids are held by nobody, free to link to one customer of the test.
WIDER = CUSTOMERS + 40
TWO_EMAILS = StitchPolicy(limits={**DEFAULT_LIMITS, IdentityKind.EMAIL: 2})

ORDERS = """query($id: ID!, $first: Int!, $after: String) { customer(id: $id) {
  orders(first: $first, after: $after) { edges { cursor node { id } }
                                         pageInfo { hasNextPage endCursor } } } }"""
TICKETS = """query($id: ID!, $first: Int!, $after: String, $status: TicketStatus) {
  customer(id: $id) { tickets(first: $first, after: $after, status: $status) {
    edges { cursor node { id status } } pageInfo { hasNextPage endCursor } } } }"""


@dataclass(frozen=True)
class Twofold:
    customer_id: str
    emails: tuple[str, ...]
    cc_ids: tuple[str, ...]
    urls: dict[str, str]


@pytest.fixture(scope="session")
async def wider_systems() -> AsyncIterator[dict[str, str]]:
    config = SimulatorConfig(seed=SEED, customers=WIDER)
    async with AsyncExitStack() as stack:
        yield await serve_simulators(stack, ("oms", "contact"), config)


def _unheld(kind: str) -> list[str]:
    """Identities of ``kind`` of the wider systems' customers that nobody in the graph holds."""
    held = {
        value for customer in seeded_customers() for values in customer["identities"].values()
        for value in values
    }  # fmt: skip
    found = [
        row["value"]
        for batch in customer_batches(SEED, reference_data(SEED), WIDER)
        for row in batch.identities
        if row["kind"] == kind and row["value"] not in held
    ]
    return list(dict.fromkeys(found))


async def _busiest(systems: Systems, urls: dict[str, str], kind: str) -> tuple[str, ...]:
    """The two unheld identities of ``kind`` with the most orders (or tickets), two or more each."""
    counts: dict[str, int] = {}
    for value in _unheld(kind)[:15]:
        if kind == "email":
            url, params = urls["oms"] + "/oms/orders", {"customerEmail": value}
        else:
            url, params = urls["contact"] + f"/cc/v2/customers/{value}/tickets", {}
        async with systems.session.get(url, params=params) as reply:
            counts[value] = (await reply.json())["total"] if reply.status == 200 else 0
    two = sorted(counts, key=lambda value: counts[value], reverse=True)[:2]
    assert len(two) == 2, counts
    assert min(counts[value] for value in two) >= 2, counts
    return tuple(two)


@pytest.fixture(scope="session")
async def twofold(
    seeded: GraphDatabase, systems: Systems, wider_systems: dict[str, str]
) -> Twofold:
    emails = await _busiest(systems, wider_systems, "email")
    cc_ids = await _busiest(systems, wider_systems, "contact_centre_id")
    customer_id = f"cus_twofold_{uuid.uuid4().hex[:10]}"
    await seeded.write(
        "CREATE (:Customer {id: $id, displayName: 'Two Of Each', createdAt: datetime()})",
        {"id": customer_id},
    )
    for kind, values in ((IdentityKind.EMAIL, emails), (IdentityKind.CONTACT_CENTRE_ID, cc_ids)):
        for value in values:
            request = LinkRequest(customer_id, kind, value, "web", TWO_EMAILS)
            assert (await link_identity(seeded, request)).outcome == "LINKED"
    return Twofold(customer_id, emails, cc_ids, wider_systems)


@pytest.fixture
async def gateway(
    services: Services, systems: Systems, twofold: Twofold, clean_stale_answers: None
) -> AsyncIterator[Gateway]:
    wider = Systems(urls={**systems.urls, **twofold.urls}, session=systems.session)
    await wider.reset_all()
    settings = federated_settings(services, wider, port=free_port(), stitch_limits={"email": 2})
    async with running_gateway(settings) as running:
        yield running
    await wider.reset_all()


async def _truth(systems: Systems, twofold: Twofold, what: str, **params: str) -> list[str]:
    """The ids of the customer's orders (or tickets) as the system lists each of its keys, merged
    newest first (ties by id)."""
    rows: list[tuple[str, str]] = []
    for key in twofold.emails if what == "orders" else twofold.cc_ids:
        if what == "orders":
            url, query = twofold.urls["oms"] + "/oms/orders", {"customerEmail": key}
            at, row_id = "createdAt", "orderId"
        else:
            url, query = twofold.urls["contact"] + f"/cc/v2/customers/{key}/tickets", params
            at, row_id = "openedAt", "ticketId"
        async with systems.session.get(url, params={**query, "pageSize": "100"}) as reply:
            assert reply.status == 200, await reply.text()
            rows += [(item[at], item[row_id]) for item in (await reply.json())["items"]]
    return [row_id for _, row_id in sorted(rows, reverse=True)]


async def _walk(
    gateway: Gateway, query: str, field: str, twofold: Twofold, **variables: Any
) -> tuple[list[str], list[dict[str, Any]]]:
    """Every id of the list, two a page, following ``endCursor``; and each page's sources."""
    seen: list[str] = []
    sources: list[dict[str, Any]] = []
    after = None
    for _ in range(50):
        body = await gateway.query(
            query, {"id": twofold.customer_id, "first": 2, "after": after, **variables}
        )
        assert "errors" not in body, body
        connection = body["data"]["customer"][field]
        seen += [edge["node"]["id"] for edge in connection["edges"]]
        sources += body["extensions"]["sources"]
        if not connection["pageInfo"]["hasNextPage"]:
            return seen, sources
        after = connection["pageInfo"]["endCursor"]
    raise AssertionError("the pages never ended")


async def test_the_orders_of_every_email_are_one_list_paged_over_both(
    gateway: Gateway, systems: Systems, twofold: Twofold
) -> None:
    truth = await _truth(systems, twofold, "orders")
    assert len(truth) >= 4  # two emails with two orders or more each

    seen, sources = await _walk(gateway, ORDERS, "orders", twofold)

    assert seen == truth
    # One OMS call per page, whatever the number of emails.
    assert [s["channel"] for s in sources] == ["oms"] * ((len(truth) + 1) // 2)


async def test_the_tickets_of_every_contact_centre_id_are_one_list_paged_over_both(
    gateway: Gateway, systems: Systems, twofold: Twofold
) -> None:
    truth = await _truth(systems, twofold, "tickets")
    assert len(truth) >= 4

    seen, sources = await _walk(gateway, TICKETS, "tickets", twofold)

    assert seen == truth
    assert [s["channel"] for s in sources] == ["contact"] * ((len(truth) + 1) // 2)
    for status in ("open", "closed"):
        filtered, _ = await _walk(gateway, TICKETS, "tickets", twofold, status=status.upper())
        assert filtered == await _truth(systems, twofold, "tickets", status=status)


async def test_both_lists_are_served_stale_when_their_systems_fail(
    gateway: Gateway, systems: Systems, twofold: Twofold
) -> None:
    query = """query($id: ID!) { customer(id: $id) {
      orders(first: 50) { edges { node { id } } }
      tickets(first: 50) { edges { node { id } } } } }"""
    healthy = await gateway.query(query, {"id": twofold.customer_id})
    assert "errors" not in healthy, healthy
    for system in ("oms", "contact"):
        async with systems.session.post(
            twofold.urls[system] + "/admin/faults", json={"errorRate": 1.0}
        ) as reply:
            assert reply.status < 300

    degraded = await gateway.query(query, {"id": twofold.customer_id})

    assert degraded["data"] == healthy["data"]
    assert {s["channel"]: s["outcome"] for s in degraded["extensions"]["sources"]} == {
        "oms": "stale",
        "contact": "stale",
    }


async def _first_cursor(gateway: Gateway, twofold: Twofold, status: str | None) -> str:
    variables = {"id": twofold.customer_id, "first": 1, "status": status}
    body = await gateway.query(TICKETS, variables)
    [edge] = body["data"]["customer"]["tickets"]["edges"]
    return str(edge["cursor"])


def _refusal(body: dict[str, Any], field: str) -> tuple[Any, ...]:
    assert body["data"]["customer"][field] is None, body
    [error] = body["errors"]
    return error["path"], error["extensions"]["code"], error["extensions"]["argument"]


@pytest.mark.parametrize(
    ("taken_with", "given_with"),
    [("CLOSED", "OPEN"), ("CLOSED", None), (None, "CLOSED"), ("OPEN", None)],
)
async def test_a_ticket_cursor_given_with_another_status_filter_is_bad_user_input(
    gateway: Gateway, twofold: Twofold, taken_with: str | None, given_with: str | None
) -> None:
    cursor = await _first_cursor(gateway, twofold, taken_with)
    variables = {"id": twofold.customer_id, "first": 2, "after": cursor, "status": given_with}

    body = await gateway.query(TICKETS, variables)

    assert _refusal(body, "tickets") == (["customer", "tickets"], "BAD_USER_INPUT", "after")
    assert "another list" in body["errors"][0]["message"]
    assert body["extensions"]["sources"] == []  # refused before any call


async def test_a_cursor_of_one_list_is_refused_by_the_other(
    gateway: Gateway, twofold: Twofold
) -> None:
    ticket_cursor = await _first_cursor(gateway, twofold, None)
    orders = await gateway.query(
        ORDERS, {"id": twofold.customer_id, "first": 1, "after": ticket_cursor}
    )
    assert _refusal(orders, "orders") == (["customer", "orders"], "BAD_USER_INPUT", "after")
    first = await gateway.query(ORDERS, {"id": twofold.customer_id, "first": 1})
    order_cursor = first["data"]["customer"]["orders"]["edges"][0]["cursor"]
    tickets = await gateway.query(
        TICKETS, {"id": twofold.customer_id, "first": 1, "after": order_cursor}
    )
    assert _refusal(tickets, "tickets") == (["customer", "tickets"], "BAD_USER_INPUT", "after")


async def test_a_cursor_from_before_lists_were_named_is_refused(
    gateway: Gateway, twofold: Twofold
) -> None:
    # `o:<offset>` cursors cannot say whether they came from orders or from tickets of which
    # status: reading them as unfiltered could page another list. The client starts over.
    old = base64.urlsafe_b64encode(b"o:0").decode()
    for query, field in ((ORDERS, "orders"), (TICKETS, "tickets")):
        body = await gateway.query(query, {"id": twofold.customer_id, "first": 1, "after": old})
        assert _refusal(body, field) == (["customer", field], "BAD_USER_INPUT", "after")
