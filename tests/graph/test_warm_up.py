"""The busiest statements are planned at start (graph/warm_up.py), and planning writes nothing."""

import re
from typing import LiteralString

from gateway.services import free_port
from graph import GraphDatabase
from graph.warm_up import NOBODY, warm_up

_CLEAR: LiteralString = "CALL db.clearQueryCaches()"
_NODES: LiteralString = "MATCH (n) RETURN labels(n) AS kind, count(*) AS n ORDER BY kind"
_RELATIONSHIPS: LiteralString = (
    "MATCH ()-[r]->() RETURN type(r) AS kind, count(*) AS n, "
    "sum(size(keys(r))) AS properties ORDER BY kind"
)
_PROPERTIES: LiteralString = "MATCH (n) RETURN sum(size(keys(n))) AS properties"
_NAMED: LiteralString = """
MATCH (n) WHERE n.id = $nobody OR n.key CONTAINS $nobody OR n.customerId = $nobody
RETURN count(n) AS n
"""


async def _census(graph: GraphDatabase) -> list[object]:
    return [
        await graph.read(_NODES),
        await graph.read(_RELATIONSHIPS),
        await graph.read(_PROPERTIES),
    ]


def _planned(answer: list[dict[str, object]]) -> int:
    # "Query caches successfully cleared of 7 queries." or "Query cache already empty."
    found = re.search(r"of (\d+) quer", str(answer[0]["value"]))
    return int(found.group(1)) if found else 0


async def test_the_warm_up_plans_the_busiest_statements_and_writes_nothing(
    graph: GraphDatabase,
) -> None:
    before = await _census(graph)
    await graph.write(_CLEAR)
    assert await warm_up(graph, timeout_s=60) is True
    # The home screen's context statement, the name search, the four cart changes and the
    # cart's replay read: each text planned and cached by Neo4j.
    assert _planned(await graph.write(_CLEAR)) >= 7
    assert await _census(graph) == before
    assert await graph.read(_NAMED, {"nobody": NOBODY}) == [{"n": 0}]


async def test_a_warm_up_that_cannot_reach_neo4j_says_so_and_does_not_raise() -> None:
    unreachable = GraphDatabase.connect(
        f"bolt://127.0.0.1:{free_port()}", None, connection_timeout_s=1.0
    )
    try:
        assert await warm_up(unreachable, timeout_s=5) is False
    finally:
        await unreachable.close()
