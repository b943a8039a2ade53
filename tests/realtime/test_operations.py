"""The operations of one WebSocket connection are separate requests: each keeps its own audit
trail and Cypher round-trip count, while they share the caller the transport keeps current."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, cast

import pytest

from graph import RoundTripCounter
from resolvers import Context
from resolvers.access import Access, Principal
from tests.conftest import Services
from tests.realtime.conftest import Instance, serving, ws_client

PROFILE = "query($c: ID!) { customer(id: $c) { id displayName } }"


def _connection(principal: Principal) -> Context:
    # No graph nor channel systems: nothing here reaches them.
    return Context(
        graph=cast(Any, None),
        systems=cast(Any, None),
        channel_budget_s=1.0,
        request_id="req-ws-1",
        max_page_size=10,
        round_trips=RoundTripCounter(),
        access=Access(principal),
    )


def test_operations_of_one_connection_keep_their_own_audit_trail_and_share_the_caller():
    partner = Principal(partner_id="p-ops", scopes=frozenset({"pii:read"}))
    connection = _connection(partner)
    erasing, reading = connection.for_operation(), connection.for_operation()

    erasing.access.note("admin", "cus_gone", "eraseCustomer")
    erasing.access.note_erased("cus_gone", "hash-of-gone")
    reading.access.note("pii_read", "cus_gone", "email")  # the id is held again, read after

    [read] = reading.access.take_records()
    assert (read.action, read.customer_id, read.fields) == ("pii_read", "cus_gone", ("email",))
    assert read.customer_id_hash is None
    [erased] = erasing.access.take_records()
    assert (erased.action, erased.customer_id_hash) == ("admin", "hash-of-gone")

    renewed = Principal(partner_id="p-ops", scopes=frozenset())
    connection.access.principal = renewed  # what the transport does when it checks again
    assert erasing.access.principal is renewed
    assert reading.access.principal is renewed


@pytest.fixture
async def instance(services: Services, graph) -> AsyncIterator[Instance]:
    async with serving(services.settings(migrate_on_start=False)) as running:
        yield running


async def _round_trips(client: Any, op_id: str, customer: str) -> int:
    await client.subscribe(op_id, PROFILE, {"c": customer})
    answer = await client.receive()
    assert (answer["id"], answer["type"]) == (op_id, "next"), answer
    assert answer["payload"]["data"]["customer"]["id"] == customer
    assert (await client.receive())["type"] == "complete"
    count: int = answer["payload"]["extensions"]["cypherRoundTrips"]
    return count


async def test_each_operation_over_a_websocket_reports_its_own_cypher_round_trips(
    instance: Instance, new_customer: Callable[[], Awaitable[str]]
):
    first, second = await new_customer(), await new_customer()
    async with ws_client(instance) as client:
        one = await _round_trips(client, "one", first)
        two = await _round_trips(client, "two", second)
    assert one >= 1
    assert two == one  # the same read of another customer: not the connection's running total
