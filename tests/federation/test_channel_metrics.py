"""After a federated query, /metrics shows each system's call latency and breaker state."""

from __future__ import annotations

from tests.conftest import Gateway
from tests.federation.conftest import Systems, a_customer
from tests.operations.test_metrics import scrape, value

CART = """
query Cart($id: ID!) {
  customer(id: $id) { cart { lines { unitPrice { amount } availability { online } } } }
}
"""

AVAILABILITY = "query Avail($sku: ID!) { product(sku: $sku) { availability { online } } }"


async def test_channel_latency_and_breaker_series_follow_the_calls(fed: Gateway, systems: Systems):
    customer = a_customer("email", cart=True)
    await fed.query(CART, {"id": customer["id"]})
    samples = await scrape(fed)
    count = "parcours_channel_call_duration_seconds_count"
    assert value(samples, count, system="webshop", method="GET", outcome="ok") >= 1
    assert value(samples, count, system="oms", method="GET", outcome="ok") >= 1
    assert value(samples, "parcours_channel_breaker_state", system="oms") == 0

    await systems.faults("oms", errorRate=1.0)
    for _ in range(4):  # threshold 3 in the federation fixture
        await fed.query(AVAILABILITY, {"sku": "SKU-00001"})
    samples = await scrape(fed)
    failed = value(samples, count, system="oms", outcome="CHANNEL_UNAVAILABLE") + value(
        samples, count, system="oms", outcome="stale"
    )
    assert failed >= 4
    assert value(samples, "parcours_channel_breaker_state", system="oms") == 2
    assert value(samples, "parcours_graphql_errors_total", code="CHANNEL_UNAVAILABLE") >= 4
