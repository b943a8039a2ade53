"""Name search at the graph's current size, with the search names' text index and without.

Run against ``make up``'s graph, after growing it (``parcours seed --customers 1000000 --bulk
--force``), with ``.venv/bin/python -m bench.name_search``. For each typed text, the first page
(10 customers) is asked ``--rounds`` times two ways, alternating, in the same run:

- ``before``: the plan every search had before the text index (migration 10), forced with
  ``USING SCAN``: every customer's search name tested with ``CONTAINS``, the first by name kept;
- ``searchByName``: what ``searchCustomers`` does now (``graph.search.search_by_name``): the
  planner reads the matches from the text index, then keeps the first by name.

Prints how many customers each text matches, the median and p99 wall time of each way, and
their ratio. Measures only: nothing is written.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from collections.abc import Awaitable, Callable
from typing import Any

from gateway.settings import Settings
from graph import GraphDatabase
from graph import search as name_search
from graph.names import fold_name

# From common to absent in the seeded vocabulary (30 first names by 30 last names): "ma" is in
# about one name in five, "dupont" and "zoe" in one in thirty, "aicha haddad" in one in 900,
# "zabrowski" in none.
TEXTS = ("ma", "dupont", "zoe", "aicha haddad", "lea benali", "zabrowski")
_COUNT = "MATCH (c:Customer) WHERE c.searchName CONTAINS $needle RETURN count(c) AS n"
# The plan every search had before migration 10: every customer's search name tested.
_BEFORE = name_search._SEARCH.replace(
    "MATCH (c:Customer) ", "MATCH (c:Customer) USING SCAN c:Customer ", 1
)


def _p99(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]


async def _timed(call: Callable[[], Awaitable[Any]]) -> float:
    started = time.perf_counter()
    await call()
    return (time.perf_counter() - started) * 1000


async def _measure(db: GraphDatabase, text: str, rounds: int) -> dict[str, Any]:
    needle = fold_name(text)
    params = {
        "needle": needle,
        "afterName": None,
        "afterId": None,
        "limit": 11,
        "purposes": [],
    }

    async def before() -> Any:
        return await db.read(_BEFORE, params)

    async def search_by_name() -> Any:
        return await name_search.search_by_name(db, text, 10)

    ways: dict[str, Callable[[], Awaitable[Any]]] = {
        "before": before,
        "searchByName": search_by_name,
    }
    for call in ways.values():  # warm-up: plans compiled, pages cached
        await call()
    times: dict[str, list[float]] = {name: [] for name in ways}
    for _ in range(rounds):
        for name, call in ways.items():
            times[name].append(await _timed(call))
    [count] = await db.read(_COUNT, {"needle": needle})
    figures = {
        name: {"p50_ms": round(statistics.median(t), 2), "p99_ms": round(_p99(t), 2)}
        for name, t in times.items()
    }
    ratio = figures["before"]["p50_ms"] / max(figures["searchByName"]["p50_ms"], 1e-3)
    return {"text": text, "matches": int(count["n"]), **figures, "ratio": round(ratio, 2)}


async def run(rounds: int) -> None:
    settings = Settings()
    db = GraphDatabase.connect(
        settings.bolt_uri, settings.neo4j_credentials(), settings.neo4j_database, 60.0
    )
    try:
        [size] = await db.read("MATCH (c:Customer) RETURN count(c) AS n")
        print(
            f"{int(size['n']):,} customers, first page of 10, {rounds} rounds each way, alternating"
        )
        for text in TEXTS:
            r = await _measure(db, text, rounds)
            print(
                f"{r['text']!r:>16} {r['matches']:>8,} matches: before "
                f"p50 {r['before']['p50_ms']:>8} ms p99 {r['before']['p99_ms']:>8} ms | "
                f"searchByName p50 {r['searchByName']['p50_ms']:>7} ms "
                f"p99 {r['searchByName']['p99_ms']:>7} ms | ratio {r['ratio']}"
            )
    finally:
        await db.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    asyncio.run(run(parser.parse_args().rounds))


if __name__ == "__main__":
    main()
