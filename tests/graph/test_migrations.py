import uuid

import pytest

from graph import MIGRATIONS, GraphDatabase, count_round_trips, migrate, migrations
from graph._backfills import backfill_search_names
from graph.migrations import Migration, applied_versions


async def test_migrations_are_recorded_once_and_a_second_run_applies_nothing(graph: GraphDatabase):
    assert await migrate(graph) == []
    assert await applied_versions(graph) == [m.version for m in MIGRATIONS]


async def test_every_model_key_has_a_unique_constraint(graph: GraphDatabase):
    rows = await graph.read(
        "SHOW CONSTRAINTS YIELD labelsOrTypes, properties, type "
        "RETURN labelsOrTypes[0] AS label, properties, type"
    )
    unique = {
        (row["label"], tuple(row["properties"])) for row in rows if row["type"] == "UNIQUENESS"
    }
    for expected in [
        ("Customer", ("id",)),
        ("Identity", ("kind", "value")),
        ("Device", ("id",)),
        ("Channel", ("code",)),
        ("Store", ("id",)),
        ("Product", ("sku",)),
        ("Cart", ("id",)),
        ("Interaction", ("id",)),
        ("Journey", ("id",)),
        ("Consent", ("id",)),
        ("Migration", ("version",)),
        ("Partner", ("id",)),
        ("Partner", ("keyHash",)),
        ("AuditEntry", ("id",)),
    ]:
        assert expected in unique


async def test_a_merge_finds_the_conflicts_naming_the_merged_profile_by_index(graph: GraphDatabase):
    indexes = await graph.read(
        "SHOW INDEXES YIELD labelsOrTypes, properties, state "
        "WHERE labelsOrTypes = ['IdentityConflict'] RETURN properties, state"
    )
    assert {"properties": ["otherCustomerId"], "state": "ONLINE"} in indexes


_OLD_STYLE = "CREATE (:Customer {id: $id, displayName: $name, createdAt: datetime()})"
_SEARCH_NAMES = "MATCH (c:Customer) WHERE c.id IN $ids RETURN c.id AS id, c.searchName AS key"


async def _old_style_customers(graph: GraphDatabase, *names: str | None) -> list[str]:
    """Customers as written before search names existed (``None``: one without a name)."""
    ids = [f"cus_migr_{uuid.uuid4().hex[:12]}" for _ in names]
    for customer, name in zip(ids, names, strict=True):
        await graph.write(_OLD_STYLE, {"id": customer, "name": name})
    return ids


async def _search_names(graph: GraphDatabase, ids: list[str]) -> dict[str, str | None]:
    return {row["id"]: row["key"] for row in await graph.read(_SEARCH_NAMES, {"ids": ids})}


async def test_migration_9_gives_older_customers_their_search_names_once(graph: GraphDatabase):
    names = ["Hélène Dupré", "FRANÇOIS Lefèvre", "Zoé  Cœur", None]
    ids = await _old_style_customers(graph, *names)
    await graph.write("MATCH (m:Migration {version: 9}) DELETE m")
    try:
        assert [m.version for m in await migrate(graph)] == [9]
        assert await _search_names(graph, ids) == {
            ids[0]: "helene dupre",
            ids[1]: "francois lefevre",
            ids[2]: "zoe coeur",
            ids[3]: None,  # no name, nothing to find it by
        }
        assert await migrate(graph) == []
        assert await backfill_search_names(graph) == 0
        assert 9 in await applied_versions(graph)
    finally:
        await graph.write("MATCH (c:Customer) WHERE c.id IN $ids DELETE c", {"ids": ids})


async def test_the_search_name_backfill_writes_a_batch_per_transaction(graph: GraphDatabase):
    ids = await _old_style_customers(graph, *(f"Émile {k}" for k in range(5)))
    try:
        with count_round_trips() as transactions:
            assert await backfill_search_names(graph, batch_size=2) >= 5
        # 2 + 2 + 1 (more if other tests left customers without one), then one finding none.
        assert transactions.count >= 4
        assert await _search_names(graph, ids) == {c: f"emile {k}" for k, c in enumerate(ids)}
    finally:
        await graph.write("MATCH (c:Customer) WHERE c.id IN $ids DELETE c", {"ids": ids})


async def test_a_failed_data_step_leaves_its_migration_unrecorded_to_run_again(
    graph: GraphDatabase, monkeypatch: pytest.MonkeyPatch
):
    async def failing(db: GraphDatabase) -> int:
        raise RuntimeError("the graph went away")

    broken = Migration(10_000, "a data step that fails", (), backfill=failing)
    monkeypatch.setattr(migrations, "MIGRATIONS", (*MIGRATIONS, broken))
    with pytest.raises(RuntimeError, match="went away"):
        await migrations.migrate(graph)
    assert 10_000 not in await applied_versions(graph)
