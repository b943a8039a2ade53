"""Two gateways starting together against a fresh Neo4j both migrate it: each migration is
applied (statements and data step) and recorded by one of them, and both start."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from gateway.services import Neo4jServer
from graph import MIGRATIONS, GraphDatabase, migrate
from graph.migrations import MigrationInputs, _migration_lock, applied_versions
from tests.conftest import neo4j_server


@pytest.mark.timeout(300)
async def test_two_instances_migrating_a_fresh_database_at_once_apply_each_migration_once(
    tmp_path: Path,
):
    server = neo4j_server(tmp_path / "neo4j")  # its own: the session's Neo4j is migrated
    await asyncio.to_thread(server.start)
    first = GraphDatabase.connect(server.config.uri, None)
    second = GraphDatabase.connect(server.config.uri, None)  # another instance, its own pool
    try:
        outcomes = await asyncio.gather(migrate(first), migrate(second), return_exceptions=True)
        failures = [outcome for outcome in outcomes if isinstance(outcome, BaseException)]
        assert not failures, [(type(f).__name__, getattr(f, "code", ""), str(f)) for f in failures]
        applied = [[m.version for m in outcome] for outcome in outcomes]  # type: ignore[union-attr]
        every = [m.version for m in MIGRATIONS]
        assert sorted(applied[0] + applied[1]) == every  # each applied by exactly one caller
        assert await applied_versions(first) == every
        records = await first.read(
            "MATCH (m:Migration) RETURN m.version AS version, count(*) AS n ORDER BY version"
        )
        assert all(row["n"] == 1 for row in records)
        assert await first.read("MATCH (n) WHERE NOT n:Migration RETURN count(n) AS n") == [
            {"n": 0}
        ]  # no lock or other bookkeeping left behind in the graph
    finally:
        await first.close()
        await second.close()
        await asyncio.to_thread(server.stop)


async def test_a_caller_waiting_for_another_instance_s_migrations_says_so(graph: GraphDatabase):
    """The other's data step may take minutes: a gateway start that waits silently looks hung."""
    waiting = asyncio.Event()
    messages: list[str] = []

    def progress(message: str) -> None:
        messages.append(message)
        waiting.set()

    async with graph.driver.session(database=graph.database) as session:
        other = await session.begin_transaction()  # another instance, holding the lock
        try:
            await (
                await other.run(
                    "MERGE (l:MigrationLock {name: 'migrations'}) SET l.takenAt = datetime()"
                )
            ).consume()
            migrating = asyncio.create_task(
                migrate(graph, inputs=MigrationInputs(progress=progress))
            )
            await asyncio.wait_for(waiting.wait(), timeout=60)
            assert not migrating.done()
        finally:
            await other.close()
    assert await migrating == []  # the other applied them all
    assert messages == [
        "migrations: waiting for the migration lock (another instance applying them, or a "
        "Neo4j slow to answer)"
    ]


class _ServerTimingTransactionsOut(Neo4jServer):
    """A Neo4j ending any transaction older than a second, and checking for them often."""

    def _write_conf(self) -> None:
        super()._write_conf()
        with self.config.conf_file.open("a", encoding="utf-8") as conf:
            conf.write("db.transaction.timeout=1s\ndb.transaction.monitor.check.interval=100ms\n")


_OTHER_TRANSACTIONS = (
    "SHOW TRANSACTIONS YIELD currentQuery, status, metaData "
    "WHERE NOT currentQuery STARTS WITH 'SHOW TRANSACTIONS' RETURN status, metaData"
)


@pytest.mark.timeout(300)
async def test_the_migration_lock_outlives_a_server_transaction_timeout_shorter_than_the_work(
    tmp_path: Path,
):
    """A data step may run for minutes: the lock's transaction must not end before it does."""
    server = _ServerTimingTransactionsOut(neo4j_server(tmp_path / "neo4j").config)
    await asyncio.to_thread(server.start)
    db = GraphDatabase.connect(server.config.uri, None)
    try:
        async with _migration_lock(db, lambda message: None):
            # The work under the lock outlasts db.transaction.timeout (no event marks that).
            await asyncio.sleep(3)
            [holder] = await db.read(_OTHER_TRANSACTIONS)
            assert holder["status"] == "Running", holder
            assert holder["metaData"]["purpose"] == "migration lock"
    finally:
        await db.close()
        await asyncio.to_thread(server.stop)
