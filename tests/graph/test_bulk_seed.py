"""``parcours seed --bulk``: CSV files for Neo4j's import tool, and the graph they make.

The graph test starts a Neo4j of its own (the import replaces its database), seeds it the
default way (UNWIND...MERGE, then the co-purchase table), then bulk-imports the same dataset over
it and compares the two graphs node for node and relationship for relationship, property types
included.
"""

from __future__ import annotations

import asyncio
import csv
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from gateway.cli._bulk_seed import run_bulk_seed
from gateway.cli._graph_commands import run_seed
from gateway.services import LocalStack, free_port
from gateway.settings import Settings
from graph import GraphDatabase
from graph.names import fold_name
from graph.seed import customer_batches, reference_data
from graph.seed.bulk import write_csv_dataset
from tests.conftest import CACHE_DIR

# Seed 10093 draws the same phone number for customers 25 and 157: one Identity node, two
# IDENTIFIED_BY relationships, which the CSV files must reproduce.
SHARED_PHONE_SEED = 10093
IMPORT_START_TIMEOUT_S = 600.0


def _rows(seed: int, customers: int) -> dict[str, list[dict[str, Any]]]:
    rows: dict[str, list[dict[str, Any]]] = {}
    for batch in customer_batches(seed, reference_data(seed), customers):
        for name, values in vars(batch).items():
            rows.setdefault(name, []).extend(values)
    return rows


def _read(path: Path) -> list[list[str]]:
    with path.open(newline="", encoding="utf-8") as lines:
        return list(csv.reader(lines))


def test_csv_parts_hold_every_row_and_each_shared_identity_once(tmp_path: Path):
    expected = _rows(SHARED_PHONE_SEED, 160)
    identities = {(i["kind"], i["value"]) for i in expected["identities"]}
    assert len(identities) < len(expected["identities"])  # the seed still shares a phone

    dataset = write_csv_dataset(
        tmp_path, 160, SHARED_PHONE_SEED, workers=2, part_size=50
    )  # customers 25 and 157 land in different parts

    by_name = {source.name: source for source in dataset.sources}
    written = [row for path in by_name["identities"].files[1:] for row in _read(path)]
    assert sorted((kind, value) for _, kind, value in written) == sorted(identities)
    assert dataset.rows["identities"] == len(identities)
    assert dataset.rows["identified-by"] == len(expected["identities"])
    assert dataset.rows["interactions"] == len(expected["interactions"])
    assert dataset.rows["about"] == sum(1 for i in expected["interactions"] if i["sku"])
    header, *parts = by_name["customers"].files
    assert _read(header) == [["id:ID(Customer)", "displayName", "searchName", "createdAt:datetime"]]
    assert [len(_read(part)) for part in parts] == [50, 50, 50, 10]
    customers = [row for part in parts for row in _read(part)]
    assert all(key == fold_name(name) for _, name, key, _ in customers)
    assert any(key != name.lower() for _, name, key, _ in customers)  # accented French names


_NODES = """
MATCH (n) WHERE NOT n:Migration
RETURN labels(n) AS labels,
       [k IN keys(n) | [k, valueType(n[k]), toString(n[k])]] AS properties
"""
_RELATIONSHIPS = """
MATCH (a)-[r]->(b)
WITH a, r, b, [n IN [a, b] | coalesce(n.id, n.code, n.sku, n.kind + ':' + n.value)] AS ends
RETURN type(r) AS type, ends,
       [k IN keys(r) | [k, valueType(r[k]), toString(r[k])]] AS properties
"""
_SCHEMA = (
    "SHOW INDEXES YIELD name, type, labelsOrTypes, properties, state "
    "RETURN name, type, labelsOrTypes, properties AS keys, state"
)


def _canonical(rows: list[dict[str, Any]]) -> list[str]:
    return sorted(
        repr({key: sorted(value) if key == "properties" else value for key, value in row.items()})
        for row in rows
    )


async def _dump(settings: Settings) -> dict[str, Any]:
    db = GraphDatabase.connect(settings.bolt_uri, None, query_timeout_s=120)
    try:
        nodes = await db.read(_NODES)
        relationships = await db.read(_RELATIONSHIPS)
        return {
            "labels": Counter(":".join(row["labels"]) for row in nodes),
            "types": Counter(row["type"] for row in relationships),
            "schema": _canonical(await db.read(_SCHEMA)),
            "migrations": await db.read("MATCH (m:Migration) RETURN m.version AS v ORDER BY v"),
            "nodes": _canonical(nodes),
            "relationships": _canonical(relationships),
        }
    finally:
        await db.close()


@pytest.mark.timeout(600)
def test_a_bulk_import_builds_the_graph_the_unwind_path_builds(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    settings = Settings(
        state_dir=tmp_path / "state",
        cache_dir=CACHE_DIR,
        neo4j_bolt_port=free_port(),
        neo4j_auth=False,
        neo4j_heap="384m",
        neo4j_pagecache="64m",
        neo4j_import_heap="512m",
        neo4j_import_max_memory="1g",
        # No JVM answers within 1 s: the restart on the imported store must be bounded by
        # neo4j_import_start_timeout_s (its first start, here, by its own bound).
        neo4j_start_timeout_s=1.0,
        neo4j_import_start_timeout_s=IMPORT_START_TIMEOUT_S,
    )
    server = LocalStack(settings).neo4j
    server.start(timeout_s=IMPORT_START_TIMEOUT_S)
    try:
        assert asyncio.run(run_seed(settings, 300, SHARED_PHONE_SEED, force=False, writers=1))
        loaded = asyncio.run(_dump(settings))

        refused = run_bulk_seed(
            settings, 300, SHARED_PHONE_SEED, force=False, workers=2, server=server
        )
        assert refused is False
        assert asyncio.run(_dump(settings)) == loaded  # untouched

        capsys.readouterr()
        assert run_bulk_seed(settings, 300, SHARED_PHONE_SEED, force=True, workers=2, server=server)
        output = capsys.readouterr().out
        imported = asyncio.run(_dump(settings))
    finally:
        server.stop()

    assert loaded["labels"]["Customer"] == 300
    assert imported["labels"] == loaded["labels"]
    assert imported["types"] == loaded["types"]
    assert imported["schema"] == loaded["schema"]
    assert imported["migrations"] == loaded["migrations"]
    assert imported["nodes"] == loaded["nodes"]
    assert imported["relationships"] == loaded["relationships"]
    assert loaded["types"]["ALSO_BOUGHT"]  # both paths end with the co-purchase table
    assert not list((tmp_path / "state").glob("bulk-seed-*"))  # the CSV files are gone
    # Every phase says what it does, the restart on the imported store included.
    assert f"Stopping Neo4j ({server.config.uri}) for the import" in output
    assert (
        f"Restarting Neo4j ({server.config.uri}) on the imported store (waiting up to "
        f"{IMPORT_START_TIMEOUT_S:,.0f} s, PARCOURS_NEO4J_IMPORT_START_TIMEOUT_S)"
    ) in " ".join(output.split())  # as wrapped at any console width
    assert "Neo4j answers on Bolt after " in output
    assert "indexes: " in output  # the index population, line by line without a terminal
