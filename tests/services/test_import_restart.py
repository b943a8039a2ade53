"""Neo4j's first start after a bulk import is bounded by ``neo4j_import_start_timeout_s``, not
by an ordinary start's ``neo4j_start_timeout_s``: opening a large imported store keeps Bolt
silent, then the database offline, for longer than an ordinary start may take.

Here an ordinary start may take 1 s, which no start of a JVM answers within: the restart after
a (small) import still waits until Neo4j answers.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from gateway.cli._bulk_seed import run_bulk_seed
from gateway.services import free_port
from gateway.services.stack import LocalStack
from gateway.settings import Settings
from graph import GraphDatabase
from tests.conftest import CACHE_DIR

IMPORT_START_TIMEOUT_S = 600.0


async def _customers(uri: str) -> int:
    db = GraphDatabase.connect(uri, None)
    try:
        rows = await db.read("MATCH (c:Customer) RETURN count(c) AS n")
        return int(rows[0]["n"])
    finally:
        await db.close()


@pytest.mark.timeout(600)
def test_the_restart_on_the_imported_store_is_not_bounded_by_an_ordinary_start(
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
        neo4j_start_timeout_s=1.0,
        neo4j_import_start_timeout_s=IMPORT_START_TIMEOUT_S,
    )
    server = LocalStack(settings).neo4j
    assert server.config.start_timeout_s == 1.0
    server._write_conf()  # what a first start writes; with --force, no start before the import
    try:
        assert run_bulk_seed(settings, 50, 7, force=True, workers=1, server=server)
        assert asyncio.run(_customers(server.config.uri)) == 50
    finally:
        server.stop()
    output = " ".join(capsys.readouterr().out.split())  # as wrapped at any console width
    assert (
        f"Restarting Neo4j ({server.config.uri}) on the imported store (waiting up to "
        f"{IMPORT_START_TIMEOUT_S:,.0f} s, PARCOURS_NEO4J_IMPORT_START_TIMEOUT_S)"
    ) in output
    assert "Neo4j answers on Bolt after " in output
