from collections import Counter

import pytest

from graph import GraphDatabase
from graph.seed import customer_batches, reference_data, seed_graph
from graph.seed.parallel import generate_batch
from simulators._dataset import load_dataset


def _flatten(seed: int, customers: int) -> dict[str, list[dict[str, object]]]:
    reference = reference_data(seed)
    rows: dict[str, list[dict[str, object]]] = {
        "products": reference.products,
        "stores": reference.stores,
    }
    for batch in customer_batches(seed, reference, customers, batch_size=7):
        for name, values in vars(batch).items():
            rows.setdefault(name, []).extend(values)
    return rows


def test_the_same_seed_generates_the_same_dataset_whatever_the_batch_size():
    first = _flatten(seed=7, customers=40)
    again = _flatten(seed=7, customers=40)
    assert first == again
    reference = reference_data(7)
    one_batch = next(iter(customer_batches(7, reference, 40, batch_size=40)))
    assert one_batch.interactions == first["interactions"]


def test_another_seed_generates_other_customers():
    ids = {row["id"] for row in _flatten(seed=7, customers=20)["customers"]}
    other = {row["id"] for row in _flatten(seed=8, customers=20)["customers"]}
    assert ids.isdisjoint(other)


def test_the_dataset_is_realistic_and_heavy_tailed():
    rows = _flatten(seed=3, customers=400)
    per_customer = Counter(row["customerId"] for row in rows["interactions"])
    counts = sorted(per_customer.values())
    assert counts[-1] >= 5 * counts[len(counts) // 2]  # a few very active customers
    assert {row["channel"] for row in rows["interactions"]} == {
        "web",
        "app",
        "store",
        "call_centre",
        "chat",
        "email",
    }
    assert len(rows["products"]) == 300
    per_product = Counter(row["sku"] for row in rows["interactions"] if row["sku"])
    top, *_ = per_product.most_common(1)
    assert top[1] >= 10 * (sum(per_product.values()) / 300)  # very popular products exist
    kinds = Counter(row["kind"] for row in rows["identities"])
    assert kinds["email"] == 400
    assert rows["carts"]
    assert rows["journeys"]


@pytest.mark.timeout(300)
async def test_loading_a_seed_twice_gives_the_same_counts_and_ids(graph: GraphDatabase):
    expected = _flatten(seed=11, customers=60)
    ids = [row["id"] for row in expected["customers"]]
    query = (
        "MATCH (c:Customer) WHERE c.id IN $ids "
        "RETURN count(c) AS customers, "
        "COUNT { MATCH (c2:Customer)-[:DID]->() WHERE c2.id IN $ids } AS interactions, "
        "COUNT { MATCH (c3:Customer)-[:IDENTIFIED_BY]->() WHERE c3.id IN $ids } AS links"
    )
    for _ in range(2):
        await seed_graph(graph, customers=60, seed=11, batch_size=25)
        rows = await graph.read(query, {"ids": ids})
        assert rows[0] == {
            "customers": 60,
            "interactions": len(expected["interactions"]),
            "links": len(expected["identities"]),
        }


@pytest.mark.timeout(300)
async def test_seeded_purchases_cost_what_the_systems_charge(graph: GraphDatabase):
    """Revenue analytics add up purchase amounts: the demo's purchases carry the shelf price the
    web shop, the OMS and the tills charge for that product (one unit each)."""
    await seed_graph(graph, customers=60, seed=11, batch_size=25)
    ids = [row["id"] for row in _flatten(seed=11, customers=60)["customers"]]
    rows = await graph.read(
        "MATCH (c:Customer)-[:DID]->(i:Interaction {type: 'purchase'})-[:ABOUT]->(p:Product) "
        "WHERE c.id IN $ids RETURN p.sku AS sku, i.amount AS amount",
        {"ids": ids},
    )
    prices = load_dataset(11, 60).list_prices
    assert len(rows) > 5
    assert all(row["amount"] == prices[row["sku"]] for row in rows), rows
    others = await graph.read(
        "MATCH (c:Customer)-[:DID]->(i:Interaction) WHERE c.id IN $ids AND i.type <> 'purchase' "
        "AND i.amount IS NOT NULL RETURN count(i) AS n",
        {"ids": ids},
    )
    assert others == [{"n": 0}]


def test_a_worker_generates_exactly_its_slice_of_the_dataset():
    whole = _flatten(seed=5, customers=30)
    part = generate_batch(5, 10, 20)
    assert part.customers == whole["customers"][10:20]
    wanted = {row["id"] for row in part.customers}
    assert part.interactions == [r for r in whole["interactions"] if r["customerId"] in wanted]


@pytest.mark.timeout(300)
async def test_parallel_writers_load_the_same_graph_as_one(graph: GraphDatabase):
    # Seed 11 is the one the test above loads (60 customers); 90 adds 30 new ones, so this
    # holds whatever the order the two tests run in.
    expected = _flatten(seed=11, customers=90)
    ids = [row["id"] for row in expected["customers"]]
    await seed_graph(graph, customers=90, seed=11, batch_size=10, writers=3)
    rows = await graph.read(
        "MATCH (c:Customer) WHERE c.id IN $ids "
        "RETURN count(c) AS customers, "
        "COUNT { MATCH (c2:Customer)-[:DID]->() WHERE c2.id IN $ids } AS interactions, "
        "COUNT { MATCH (c3:Customer)-[:IDENTIFIED_BY]->() WHERE c3.id IN $ids } AS links",
        {"ids": ids},
    )
    assert rows[0] == {
        "customers": 90,
        "interactions": len(expected["interactions"]),
        "links": len(expected["identities"]),
    }
