"""The response cache and live channel data: stored briefly when every system answered fresh,
never when one failed (a degraded answer must not outlive the incident)."""

from collections.abc import AsyncIterator
from typing import Any

import pytest
import redis.asyncio as redis

from gateway.response_cache import HIT_HEADER
from graph import GraphDatabase
from tests.conftest import Gateway, Services, running_gateway
from tests.federation.conftest import Systems, federated_settings, seeded_customers

# History merges the stores system's receipts for a customer with a POS number.
HOME = """
query Home($id: ID!) {
  customer(id: $id) { id history(first: 5) { edges { node { id channel } } } }
}
"""
LIVE_TTL_S = 7


def pos_customer(n: int) -> str:
    """The n-th seeded customer with a POS number (each test its own: entries live seconds)."""
    return [c for c in seeded_customers() if "pos_customer_number" in c["identities"]][n]["id"]


@pytest.fixture
async def cached(
    services: Services, seeded: GraphDatabase, systems: Systems, clean_stale_answers: None
) -> AsyncIterator[Gateway]:
    await systems.reset_all()
    settings = federated_settings(
        services, systems, response_cache_enabled=True, response_cache_live_ttl_s=LIVE_TTL_S
    )
    async with running_gateway(settings) as gateway:
        yield gateway
    await systems.reset_all()


async def post(gateway: Gateway, variables: dict[str, Any]) -> tuple[str | None, Any]:
    async with gateway.session.post(
        f"{gateway.url}/graphql", json={"query": HOME, "variables": variables}
    ) as response:
        assert response.status == 200
        return response.headers.get(HIT_HEADER), await response.json()


async def _entry_ttls(services: Services, customer: str) -> list[int]:
    client = redis.Redis.from_url(services.redis.config.url)
    try:
        return [
            await client.ttl(key) async for key in client.scan_iter(f"parcours:resp:{customer}:*")
        ]
    finally:
        await client.aclose()


async def test_an_answer_with_fresh_channel_data_is_kept_for_the_live_ttl_only(
    cached: Gateway, services: Services
):
    customer = pos_customer(0)
    state, first = await post(cached, {"id": customer})
    assert state == "miss"
    assert [s["channel"] for s in first["extensions"]["sources"]] == ["stores"]
    assert {s["outcome"] for s in first["extensions"]["sources"]} == {"ok"}
    again_state, again = await post(cached, {"id": customer})
    assert again_state == "hit"
    assert again["data"] == first["data"]
    ttls = await _entry_ttls(services, customer)
    assert len(ttls) == 1
    assert 0 < ttls[0] <= LIVE_TTL_S


async def test_an_answer_where_a_system_failed_is_never_stored(
    cached: Gateway, services: Services, systems: Systems
):
    customer = pos_customer(1)
    await systems.faults("stores", errorRate=1.0)
    state, first = await post(cached, {"id": customer})
    assert state == "miss"
    assert {s["outcome"] for s in first["extensions"]["sources"]} != {"ok"}
    assert (await post(cached, {"id": customer}))[0] == "miss"
    assert await _entry_ttls(services, customer) == []
