"""A Neo4j statement that cannot finish in time is a coded error the client can act on.

A write waiting on a lock held past the statement timeout, a pool with no free connection, or a
Neo4j that went away: the client is told SERVICE_UNAVAILABLE (try again shortly), not INTERNAL.
"""

import uuid
from collections.abc import AsyncIterator

import pytest

from graph import GraphDatabase
from tests.conftest import Gateway, Services, running_gateway

ADD = """
mutation($c: ID!, $key: String!) {
  addCartItem(customerId: $c, sku: "FX-P1", quantity: 1, channel: WEB, idempotencyKey: $key) {
    version
  }
}
"""


@pytest.fixture(scope="module")
async def impatient_gateway(services: Services, graph: GraphDatabase) -> AsyncIterator[Gateway]:
    """A gateway whose statements may take one second."""
    async with running_gateway(services.settings(neo4j_query_timeout_s=1.0)) as running:
        yield running


async def test_a_write_kept_waiting_past_the_statement_timeout_is_service_unavailable(
    impatient_gateway: Gateway, graph: GraphDatabase, customer: str
) -> None:
    async with graph.driver.session() as session:
        holding = await session.begin_transaction()
        # Another writer holds the customer's node: the cart change waits for its lock.
        await holding.run("MATCH (c:Customer {id: $id}) SET c.held = true", {"id": customer})
        try:
            body = await impatient_gateway.query(
                ADD, {"c": customer, "key": f"held-{uuid.uuid4().hex}"}
            )
        finally:
            await holding.rollback()
    [error] = body["errors"]
    assert error["extensions"]["code"] == "SERVICE_UNAVAILABLE", error
    assert error["extensions"]["store"] == "neo4j"
    assert "try again" in error["message"]
    assert body["data"] == {"addCartItem": None}
    # Nothing was written: the customer still has no cart.
    carts = "MATCH (:Customer {id: $id})-[:HAS_CART]->(k:Cart) RETURN k.id AS id"
    assert await graph.read(carts, {"id": customer}) == []
