"""A marker of the seed in progress, so an interrupted one is finished by the next run.

``parcours seed`` and ``parcours up`` skip seeding when customers exist; a seed stopped half way
(Ctrl-C during the first ``make up``, a crash) would then leave a partial dataset for good. The
marker node is written before the first customer and deleted once the derived data is in: while
it exists, the next run seeds again with its parameters (every write merges, so the customers
already in are not doubled). A graph seeded to the end holds no marker.
"""

from __future__ import annotations

from typing import LiteralString

from graph.database import GraphDatabase

_STARTED: LiteralString = """
MERGE (r:SeedRun {key: 'demo'})
SET r.seed = $seed, r.customers = $customers, r.startedAt = datetime()
"""
_FINISHED: LiteralString = "MATCH (r:SeedRun {key: 'demo'}) DELETE r"
_UNFINISHED: LiteralString = (
    "MATCH (r:SeedRun {key: 'demo'}) RETURN r.seed AS seed, r.customers AS customers"
)


async def mark_seed_started(db: GraphDatabase, seed: int, customers: int) -> None:
    """Record that a seed of ``customers`` customers for ``seed`` is under way."""
    await db.write(_STARTED, {"seed": seed, "customers": customers})


async def mark_seed_finished(db: GraphDatabase) -> None:
    """The seed under way has loaded everything, derived data included."""
    await db.write(_FINISHED)


async def interrupted_seed(db: GraphDatabase) -> tuple[int, int] | None:
    """``(seed, customers)`` of a seed that started and never finished, or None."""
    rows = await db.read(_UNFINISHED)
    return (int(rows[0]["seed"]), int(rows[0]["customers"])) if rows else None
