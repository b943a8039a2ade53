"""The one door to Neo4j: what reads return, however they are asked for."""

import os
import signal
import time
from pathlib import Path

import neo4j
import pytest

from graph import GraphDatabase
from tests.conftest import Services

NESTED = """
RETURN 1 AS n, 'x' AS s, null AS nothing,
       {a: [1, 2, {b: 'c', d: [true, 2.5]}], e: {f: null}} AS nested,
       [{id: 'i-1', at: toString(datetime('2026-01-02T03:04:05Z'))}] AS items
"""


async def test_a_maps_only_read_returns_what_a_plain_read_returns(graph: GraphDatabase):
    plain = await graph.read(NESTED)
    decoded = await graph.read(NESTED, maps_only=True)
    assert decoded == plain
    assert plain[0]["nested"]["a"][2] == {"b": "c", "d": [True, 2.5]}


async def test_only_a_plain_read_turns_graph_entities_into_dicts(graph: GraphDatabase):
    # What `maps_only` promises the statement does not return: a node stays a node.
    query = "MATCH (p:Product) WITH p ORDER BY p.sku LIMIT 1 RETURN p"
    [plain] = await graph.read(query)
    [decoded] = await graph.read(query, maps_only=True)
    assert isinstance(plain["p"], dict)
    assert isinstance(decoded["p"], neo4j.graph.Node)
    assert dict(decoded["p"]) == plain["p"]


async def test_a_property_no_node_has_yet_is_read_without_a_warning(
    graph: GraphDatabase, caplog: pytest.LogCaptureFixture
):
    # Optional properties appear with the data (an analytics read before any webhook sent an
    # `outcome`): the server's "property key does not exist" notice is not worth a warning.
    with caplog.at_level("INFO", logger="neo4j.notifications"):
        rows = await graph.read("MATCH (p:Product) RETURN p.neverWrittenAnywhere AS x LIMIT 1")
        await graph.write("MATCH (p:Product) WHERE p.neverWrittenAnywhere = 1 SET p.n = 1")
    assert rows == [{"x": None}]
    assert [r.getMessage() for r in caplog.records if r.name == "neo4j.notifications"] == []


async def test_an_auto_commit_read_sees_an_earlier_write(graph: GraphDatabase):
    await graph.write("MERGE (t:DatabaseTest {id: 'db-test'}) SET t.n = 1")
    try:
        [row] = await graph.read("MATCH (t:DatabaseTest {id: 'db-test'}) RETURN t.n AS n")
        assert row == {"n": 1}
    finally:
        await graph.write("MATCH (t:DatabaseTest) DETACH DELETE t")


async def test_a_statement_neo4j_leaves_unanswered_fails_once_its_time_is_up(services: Services):
    # The project's Neo4j sends no recv-timeout hint, so the driver arms no socket read timeout:
    # the statement's own bound (server timeout + grace) is what ends the wait on a stalled server.
    db = GraphDatabase.connect(services.neo4j.config.uri, None, query_timeout_s=0.3)
    db.stall_grace_s = 0.3
    try:
        assert await db.read("RETURN 1 AS ok") == [{"ok": 1}]  # a pooled connection
        pid = services.neo4j.running_pid()
        assert pid is not None
        os.kill(pid, signal.SIGSTOP)
        try:
            wait_until_stopped(pid)
            with pytest.raises(TimeoutError):
                await db.read("RETURN 1 AS ok")
        finally:
            os.kill(pid, signal.SIGCONT)
        assert await db.read("RETURN 2 AS ok") == [{"ok": 2}]  # the pool recovers
    finally:
        await db.close()


def wait_until_stopped(pid: int, within_s: float = 10.0) -> None:
    """Return once every thread of ``pid`` is stopped. SIGSTOP is a group stop: the kernel wakes
    one thread, which then stops the others, so on a busy host a Bolt thread may still answer for
    a few milliseconds after ``kill`` returns."""
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        states = [thread_state(stat) for stat in Path(f"/proc/{pid}/task").glob("*/stat")]
        if states and all(state in "Tt" for state in states if state):
            return
        time.sleep(0.005)
    raise AssertionError(f"process {pid} did not stop within {within_s} s")


def thread_state(stat: Path) -> str:
    """The state letter of one thread (``R``, ``S``, ``T``...), or "" if it has just exited."""
    try:
        # "tid (comm) S ...": comm may hold spaces and parentheses, the state follows the last ")".
        return stat.read_text().rpartition(")")[2].split()[0]
    except (OSError, IndexError):
        return ""
