"""Benchmark the full customer-context query against a running gateway (``make up`` first).

    .venv/bin/python -m bench.context_query --rates 50,100,200 --duration 10

For each offered rate it reports p50/p90/p99/max and errors, and first measures ``/healthz`` at the
highest rate to show the generator is not the bottleneck. Results go to ``bench/results/``.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import platform
import random
from importlib.metadata import version
from pathlib import Path

from bench.load import run_load
from gateway.settings import Settings
from graph import GraphDatabase

QUERY = """
query Home($id: ID!) {
  customer(id: $id) {
    id displayName
    identities { kind value }
    devices { id kind }
    cart { version lines { quantity addedVia product { sku name } } }
    history(first: 10) { edges { node { id at channel type product { name } store { name } } } }
    recommendations(first: 5) { product { sku name } score }
  }
}
"""


async def customer_ids(settings: Settings, limit: int = 500) -> list[str]:
    db = GraphDatabase.connect(
        settings.bolt_uri, settings.neo4j_credentials(), settings.neo4j_database
    )
    try:
        rows = await db.read(
            "MATCH (c:Customer) RETURN c.id AS id ORDER BY c.id LIMIT $n", {"n": limit}
        )
    finally:
        await db.close()
    return [str(row["id"]) for row in rows]


async def main(rates: list[float], duration: float, base: str) -> dict[str, object]:
    ids = await customer_ids(Settings())
    rng = random.Random(7)
    order = [rng.choice(ids) for _ in range(int(max(rates) * duration) + 1)]
    await run_load(
        f"{base}/graphql", 20, 2, lambda i: {"query": QUERY, "variables": {"id": order[i]}}
    )  # warm-up
    trivial = await run_load(f"{base}/healthz", max(rates) * 3, duration / 2, lambda _: None)
    print(f"generator check, /healthz at {trivial.offered_rps:.0f} rps: {trivial.as_dict()}")
    points = []
    for rate in rates:
        result = await run_load(
            f"{base}/graphql",
            rate,
            duration,
            lambda i: {"query": QUERY, "variables": {"id": order[i]}},
        )
        print(f"context query at {rate:.0f} rps: {result.as_dict()}")
        points.append(result.as_dict())
    return {
        "scenario": "uncached customer-context query (no cache exists yet)",
        "machine": {
            "python": platform.python_version(),
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
        },
        "versions": {
            name: version(name)
            for name in ("strawberry-graphql", "aiohttp", "neo4j", "graphql-core")
        },
        "generatorCheck": trivial.as_dict(),
        "points": points,
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rates", default="25,50,100")
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--url", default="http://127.0.0.1:8080")
    args = parser.parse_args()
    report = asyncio.run(main([float(r) for r in args.rates.split(",")], args.duration, args.url))
    out = Path(__file__).parent / "results" / f"{dt.date.today().isoformat()}-context-query.json"
    out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"written {out}")
