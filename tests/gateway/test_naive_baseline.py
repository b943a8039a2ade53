"""The bench's naive baseline (``naive_baseline=True``): same answers, no batching, no caches."""

from graph import GraphDatabase
from tests.conftest import Gateway, Services, running_gateway
from tests.fixture_dataset import ALICE, BOB, CAROL

CONTEXT = """
  id displayName
  identities { kind value }
  cart { version lines { quantity product { sku name } } }
  history(first: 10) { edges { node { id type product { name } store { name } } } }
"""


def aliased(ids: list[str]) -> str:
    return (
        "query { "
        + " ".join(f'c{n}: customer(id: "{cid}") {{ {CONTEXT} }}' for n, cid in enumerate(ids))
        + " }"
    )


async def test_naive_baseline_answers_the_same_with_one_statement_per_load(
    services: Services, graph: GraphDatabase, gateway: Gateway
):
    query = aliased([ALICE, BOB, CAROL])
    fast = await gateway.query(query)
    async with running_gateway(services.settings(naive_baseline=True)) as naive:
        slow = await naive.query(query)
        again = await naive.query(query)
    assert "errors" not in slow
    assert slow["data"] == fast["data"]
    assert again["data"] == fast["data"]
    # Three customers: batched, a customer load and a history load serve all three; unbatched,
    # each customer costs its own statements, and products and stores are loaded one by one.
    assert slow["extensions"]["cypherRoundTrips"] >= 3 * fast["extensions"]["cypherRoundTrips"]
    assert slow["extensions"]["cypherRoundTrips"] >= 6
