import uuid
from typing import Any, LiteralString
from unittest.mock import ANY

import pytest

from graph import (
    MIGRATIONS,
    GraphDatabase,
    IdentityKind,
    count_round_trips,
    erasure,
    migrate,
    migrations,
)
from graph._backfills import backfill_joined_journeys, backfill_search_names
from graph._phone_migration import plan_page, renormalise_phones
from graph.identity_records import PageRequest, conflicts_by_customers
from graph.migrations import Migration, MigrationInputs, applied_versions


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
        ("Interaction", ("eventKey",)),
        ("Journey", ("id",)),
        ("Consent", ("id",)),
        ("Migration", ("version",)),
        ("Partner", ("id",)),
        ("Partner", ("keyHash",)),
        ("AuditEntry", ("id",)),
        ("ErasedIdentity", ("identityHash",)),
    ]:
        assert expected in unique


async def test_a_merge_finds_the_conflicts_naming_the_merged_profile_by_index(graph: GraphDatabase):
    indexes = await graph.read(
        "SHOW INDEXES YIELD labelsOrTypes, properties, state "
        "WHERE labelsOrTypes = ['IdentityConflict'] RETURN properties, state"
    )
    assert {"properties": ["otherCustomerId"], "state": "ONLINE"} in indexes


async def test_a_retry_about_a_merged_id_finds_its_survivor_by_index(graph: GraphDatabase):
    indexes = await graph.read(
        "SHOW INDEXES YIELD labelsOrTypes, properties, state "
        "WHERE labelsOrTypes = ['Merge'] RETURN properties, state"
    )
    assert {"properties": ["mergedId"], "state": "ONLINE"} in indexes


def _operators(plan: Any) -> list[tuple[str, str]]:
    """Every operator of an EXPLAIN plan (the driver's nested dicts), without its runtime suffix
    (``@neo4j``), with its details."""
    own = (plan["operatorType"].split("@")[0], str(plan.get("args", {}).get("Details", "")))
    return [own] + [op for child in plan.get("children", []) for op in _operators(child)]


async def test_an_erasure_finds_the_earlier_records_of_its_id_by_index(graph: GraphDatabase):
    """Migration 11: every erasure, and its replay, looks up the records of the id's hash; without
    the index that read scanned every erasure record ever written."""
    indexes = await graph.read(
        "SHOW INDEXES YIELD type, labelsOrTypes, properties, state "
        "WHERE labelsOrTypes = ['ErasureRecord'] RETURN type, properties, state"
    )
    assert {"type": "RANGE", "properties": ["customerIdHash"], "state": "ONLINE"} in indexes
    explained = await graph.driver.execute_query(
        "EXPLAIN " + erasure._RECORD, {"hash": "h", "id": "cus_x"}, database_=graph.database
    )
    operators = _operators(explained.summary.plan)
    assert not [op for op in operators if op[0] in {"NodeByLabelScan", "AllNodesScan"}], operators
    assert [op for op in operators if op[0] == "NodeIndexSeek" and "ErasureRecord" in op[1]], (
        operators
    )


# --- Migration 8: phone identities stored before E.164 -------------------------------------------

STATE = """
UNWIND $values AS value
MATCH (i:Identity {kind: 'phone', value: value})
RETURN value, elementId(i) AS node,
       COLLECT { MATCH (i)<-[r:IDENTIFIED_BY]-(c:Customer) RETURN [c.id, r.source] } AS holders
ORDER BY value
"""


def number() -> tuple[str, str]:
    """A French mobile number never used before: its E.164 form and its 8 last digits."""
    digits = f"{uuid.uuid4().int % 10**8:08d}"
    return f"+336{digits}", digits


async def customer(graph: GraphDatabase, *phones: str, source: str = "store") -> str:
    """A customer holding ``phones`` as stored values (created when missing), linked via
    ``source``."""
    cid = f"cus_m8_{uuid.uuid4().hex[:12]}"
    await graph.write(
        "CREATE (c:Customer {id: $id, displayName: 'M8', createdAt: datetime()}) "
        "WITH c UNWIND $phones AS phone "
        "MERGE (i:Identity {kind: 'phone', value: phone}) "
        "CREATE (c)-[:IDENTIFIED_BY {since: datetime(), source: $source, confidence: 1.0}]->(i)",
        {"id": cid, "phones": list(phones), "source": source},
    )
    return cid


async def nobodys(graph: GraphDatabase, phone: str) -> None:
    await graph.write("CREATE (:Identity {kind: 'phone', value: $v})", {"v": phone})


async def state(graph: GraphDatabase, *values: str) -> dict[str, dict[str, Any]]:
    rows = await graph.read(STATE, {"values": list(values)})
    return {
        row["value"]: {"node": row["node"], "holders": sorted(map(tuple, row["holders"]))}
        for row in rows
    }


async def conflicts(graph: GraphDatabase, customer_id: str) -> list[Any]:
    [page] = await conflicts_by_customers(graph, [PageRequest(customer_id, 10)])
    return [(k.kind, k.value, k.reason, k.other_customer_id, k.source) for k in page.items]


async def test_a_national_phone_takes_its_e164_value_on_the_same_node(graph: GraphDatabase):
    e164, digits = number()
    holder = await customer(graph, f"06{digits}", source="call_centre")
    before = await state(graph, f"06{digits}")
    report = await renormalise_phones(graph, "FR")
    assert report.renamed >= 1
    after = await state(graph, f"06{digits}", e164)
    assert list(after) == [e164]
    assert after[e164]["node"] == before[f"06{digits}"]["node"]  # renamed, not re-created
    assert after[e164]["holders"] == [(holder, "call_centre")]


async def test_an_international_prefix_is_read_in_the_region_given(graph: GraphDatabase):
    digits = f"{uuid.uuid4().int % 10**6:06d}"
    holder = await customer(graph, f"0032470{digits}", f"0470{digits}")
    await renormalise_phones(graph, "BE")
    after = await state(graph, f"0032470{digits}", f"0470{digits}", f"+32470{digits}")
    assert after == {f"+32470{digits}": {"node": ANY, "holders": [(holder, "store")]}}


async def test_two_spellings_held_by_one_customer_become_one_node_they_hold(graph: GraphDatabase):
    e164, digits = number()
    holder = await customer(graph, e164, source="web")
    await graph.write(
        "MATCH (c:Customer {id: $id}) UNWIND $phones AS phone "
        "MERGE (i:Identity {kind: 'phone', value: phone}) "
        "CREATE (c)-[:IDENTIFIED_BY {since: datetime(), source: 'store'}]->(i)",
        {"id": holder, "phones": [f"06{digits}", f"00336{digits}"]},
    )
    kept = (await state(graph, e164))[e164]["node"]
    report = await renormalise_phones(graph, "FR")
    assert report.merged >= 2
    after = await state(graph, e164, f"06{digits}", f"00336{digits}")
    assert after == {e164: {"node": kept, "holders": [(holder, "web")]}}  # its own link stays


async def test_a_spelling_nobody_holds_merges_into_the_held_one_either_way(graph: GraphDatabase):
    first, first_digits = number()
    held_e164 = await customer(graph, first)
    await nobodys(graph, f"06{first_digits}")
    second, second_digits = number()
    held_national = await customer(graph, f"06{second_digits}")
    await nobodys(graph, second)
    await renormalise_phones(graph, "FR")
    after = await state(graph, first, f"06{first_digits}", second, f"06{second_digits}")
    assert {value: row["holders"] for value, row in after.items()} == {
        first: [(held_e164, "store")],
        second: [(held_national, "store")],
    }


async def test_a_merge_keeps_an_identity_shared_by_the_same_customers_shared(
    graph: GraphDatabase,
):
    e164, digits = number()
    a = await customer(graph, e164, f"06{digits}")
    b = await customer(graph, e164)  # the bulk seed can draw one phone for two customers
    await renormalise_phones(graph, "FR")
    after = await state(graph, e164, f"06{digits}")
    assert after[e164]["holders"] == sorted([(a, "store"), (b, "store")])
    assert list(after) == [e164]


async def test_two_spellings_held_by_two_customers_stay_apart_with_a_conflict_recorded(
    graph: GraphDatabase,
):
    e164, digits = number()
    national = await customer(graph, f"06{digits}", source="call_centre")
    international = await customer(graph, e164, source="web")
    before = await state(graph, e164, f"06{digits}")
    report = await renormalise_phones(graph, "FR")
    assert report.left_apart >= 1
    assert await state(graph, e164, f"06{digits}") == before
    assert await conflicts(graph, national) == [
        (IdentityKind.PHONE, e164, "held_by_another_customer", international, "migration:8")
    ]
    assert await conflicts(graph, international) == []


async def test_running_the_step_again_changes_nothing_and_records_no_second_conflict(
    graph: GraphDatabase,
):
    renamed, renamed_digits = number()
    merged, merged_digits = number()
    apart, apart_digits = number()
    holders = [
        await customer(graph, f"06{renamed_digits}"),
        await customer(graph, merged, f"06{merged_digits}"),
        await customer(graph, f"06{apart_digits}"),
        await customer(graph, apart),
    ]
    values = [renamed, f"06{renamed_digits}", merged, f"06{merged_digits}", apart]
    values.append(f"06{apart_digits}")

    async def everything() -> tuple[Any, ...]:
        return (
            await state(graph, *values),
            [await conflicts(graph, holder) for holder in holders],
        )

    await renormalise_phones(graph, "FR")
    once = await everything()
    second = await renormalise_phones(graph, "FR")
    assert await everything() == once
    assert (second.renamed, second.merged) == (0, 0)
    assert len(once[1][2]) == 1  # the conflict of the two holders, once


async def test_a_stored_phone_that_is_no_possible_number_is_left_as_it_is(graph: GraphDatabase):
    odd = f"+3360-{uuid.uuid4().hex[:8]}"
    holder = await customer(graph, odd)
    report = await renormalise_phones(graph, "FR")
    assert report.unreadable >= 1
    assert await state(graph, odd) == {odd: {"node": ANY, "holders": [(holder, "store")]}}


async def test_migration_8_runs_its_data_step_once_and_keeps_its_summary(graph: GraphDatabase):
    e164, digits = number()
    await customer(graph, f"06{digits}")
    await graph.write("MATCH (m:Migration {version: 8}) DELETE m")
    applied = await migrate(graph, inputs=MigrationInputs(phone_region="FR"))
    assert [m.version for m in applied] == [8]
    assert list(await state(graph, e164, f"06{digits}")) == [e164]
    [record] = await graph.read("MATCH (m:Migration {version: 8}) RETURN m.outcome AS outcome")
    assert record["outcome"].startswith("renamed ")
    assert await migrate(graph) == []


def test_a_page_plan_merges_only_when_no_customer_would_gain_anothers_phone():
    changes = {"0600000001": "+33600000001", "0600000002": "+33600000002"}
    holders = {
        "0600000001": ["a"],
        "+33600000001": ["a", "b"],  # a already shares it with b
        "0600000002": ["a", "c"],
        "+33600000002": ["b"],
    }
    plan = plan_page(changes, holders)
    assert plan.merges == [{"old": "0600000001", "new": "+33600000001"}]
    assert plan.renames == []
    assert [(k["customerId"], k["otherId"]) for k in plan.conflicts] == [("a", "b"), ("c", "b")]


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
    async def failing(db: GraphDatabase, inputs: MigrationInputs) -> str:
        raise RuntimeError("the graph went away")

    broken = Migration(10_000, "a data step that fails", (), data_step=failing)
    monkeypatch.setattr(migrations, "MIGRATIONS", (*MIGRATIONS, broken))
    with pytest.raises(RuntimeError, match="went away"):
        await migrations.migrate(graph)
    assert 10_000 not in await applied_versions(graph)


async def test_the_data_steps_report_how_far_they_got(graph: GraphDatabase):
    # On a graph of millions a data step works for minutes: it says so as it goes.
    e164s = [number() for _ in range(3)]
    holders = [await customer(graph, f"06{digits}") for _, digits in e164s]
    ids = await _old_style_customers(graph, *(f"Rémi {k}" for k in range(3)))
    phones: list[str] = []
    names: list[str] = []
    try:
        await renormalise_phones(graph, "FR", phones.append, page_size=1, report_every=1)
        await backfill_search_names(graph, batch_size=1, progress=names.append, report_every=1)
    finally:
        await graph.write(
            "MATCH (c:Customer) WHERE c.id IN $ids DETACH DELETE c", {"ids": [*holders, *ids]}
        )
    assert len(phones) >= 3
    assert phones[0].startswith("phone identities: 1 read; renamed ")
    assert len(names) >= 2
    assert names[0].startswith("search names: 1 written, up to customer ")


async def test_the_runner_reports_each_data_step_and_its_outcome(
    graph: GraphDatabase, monkeypatch: pytest.MonkeyPatch
):
    async def step(db: GraphDatabase, inputs: MigrationInputs) -> str:
        inputs.progress("half way")
        return "all done"

    extra = Migration(10_001, "a step that reports", (), data_step=step)
    monkeypatch.setattr(migrations, "MIGRATIONS", (*MIGRATIONS, extra))
    heard: list[str] = []
    try:
        await migrations.migrate(graph, inputs=MigrationInputs(progress=heard.append))
        assert heard == [
            "migration 10001: a step that reports",
            "half way",
            "migration 10001: all done",
        ]
    finally:
        await graph.write("MATCH (m:Migration {version: 10001}) DELETE m")


async def test_waiting_for_new_indexes_is_bounded_by_the_migration_timeout_not_the_statement_one(
    graph: GraphDatabase, monkeypatch: pytest.MonkeyPatch
):
    # A gateway's statements time out after 10 s; populating a new index over millions of
    # interactions takes longer, and the start failed after the migration was recorded.
    empty = Migration(10_002, "nothing but the wait for indexes", ())
    monkeypatch.setattr(migrations, "MIGRATIONS", (*MIGRATIONS, empty))
    writes: list[tuple[str, float | None]] = []
    write = graph.write

    async def recording_write(
        query: LiteralString, params: Any = None, timeout_s: float | None = None
    ) -> list[dict[str, Any]]:
        writes.append((query, timeout_s))
        return await write(query, params, timeout_s)

    monkeypatch.setattr(graph, "write", recording_write)
    try:
        await migrations.migrate(graph, timeout_s=300)
    finally:
        await write("MATCH (m:Migration {version: 10002}) DELETE m")
    [(_, bound)] = [(q, t) for q, t in writes if "awaitIndexes" in q]
    assert bound is not None
    assert bound >= 300 > graph.query_timeout_s


async def test_merge_records_from_before_get_a_node_per_joined_journey_once(graph: GraphDatabase):
    merge = f"merge-mig-{uuid.uuid4().hex[:8]}"
    joined = [f"jrn-mig-{uuid.uuid4().hex[:8]}" for _ in range(2)]
    await graph.write(
        "CREATE (:Merge {id: $id, at: datetime(), joinedJourneys: $joined})",
        {"id": merge, "joined": joined},
    )
    nodes = (
        "MATCH (:Merge {id: $id})-[:JOINED_JOURNEY]->(j:JoinedJourney) "
        "RETURN j.id AS id ORDER BY id"
    )
    try:
        assert await backfill_joined_journeys(graph, batch_size=1) >= 1
        assert [row["id"] for row in await graph.read(nodes, {"id": merge})] == sorted(joined)
        await backfill_joined_journeys(graph)  # run again: nothing added
        assert [row["id"] for row in await graph.read(nodes, {"id": merge})] == sorted(joined)
    finally:
        await graph.write(
            "MATCH (m:Merge {id: $id}) OPTIONAL MATCH (m)-[:JOINED_JOURNEY]->(j) "
            "DETACH DELETE m, j",
            {"id": merge},
        )
