"""The analytics reads at the graph's current size: what the console's analytics page waits for.

Run against ``make up``'s graph, after growing it (``parcours seed --customers 1000000 --bulk
--force``), with ``.venv/bin/python -m bench.analytics_scale``. Each read of
``graph.analytics`` runs ``--rounds`` times over the 30 days up to the newest interaction (the
page's default window), one after the other, with a generous timeout (the gateway gives each
statement ``PARCOURS_NEO4J_QUERY_TIMEOUT_S``, 10 s by default): sales and carts, journeys,
forced contacts, and the exposure of all five systems (what the incidents panel reads while
every system is degraded). Prints the median and the worst wall time of each, and what it found.
Measures only: nothing is written.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from gateway.settings import Settings
from graph import GraphDatabase
from graph import analytics as an

SYSTEMS = ("webshop", "stores", "oms", "contact", "mobile")


async def run(rounds: int, timeout_s: float) -> None:
    settings = Settings()
    db = GraphDatabase.connect(
        settings.bolt_uri, settings.neo4j_credentials(), settings.neo4j_database, timeout_s
    )
    try:
        [size] = await db.read("MATCH (c:Customer) RETURN count(c) AS n")
        end = await an.latest_activity(db)
        if end is None:
            print("no interaction in the graph")
            return
        start = end - timedelta(days=30)
        policy = an.AnalyticsPolicy()
        reads: dict[str, Callable[[], Awaitable[Any]]] = {
            "sales": lambda: an.sales_figures(db, start, end),
            "journeys": lambda: an.journeys_started(db, start, end),
            "forcedContacts": lambda: an.forced_contacts(db, start, end, policy, first=10),
            "exposure": lambda: an.exposure(db, SYSTEMS, start, end, policy),
        }
        print(f"{int(size['n']):,} customers, window {start:%Y-%m-%d} to {end:%Y-%m-%d}")
        for name, read in reads.items():
            times: list[float] = []
            found: Any = None
            for _ in range(rounds):
                started = time.perf_counter()
                found = await read()
                times.append(time.perf_counter() - started)
            print(
                f"{name:>15}: median {statistics.median(times):7.2f} s, "
                f"worst {max(times):7.2f} s over {rounds} | {_summary(found)}"
            )
    finally:
        await db.close()


def _summary(found: Any) -> str:
    if isinstance(found, an.SalesFigures):
        return f"{found.purchases:,} purchases, {found.active_carts:,} active carts"
    if isinstance(found, an.ForcedContactsPage):
        return f"{found.total:,} forced contacts"
    if isinstance(found, list) and found and isinstance(found[0], an.Exposure):
        return "customers " + ", ".join(f"{e.system} {e.customers:,}" for e in found)
    return f"{len(found):,} rows" if isinstance(found, list) else ""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds per statement")
    args = parser.parse_args()
    asyncio.run(run(args.rounds, args.timeout))


if __name__ == "__main__":
    main()
