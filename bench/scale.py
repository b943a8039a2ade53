"""Scenario 5: the uncached home query at the graph's current size, same query, same rate.

    .venv/bin/parcours seed --customers 100000 --force     # grow the make-up graph
    .venv/bin/python -m bench.scale --rate 10               # measure at that size

Each call measures one size (the seeded customers the graph holds), repeated, and merges the
point into ``bench/results/<date>-scale.json`` keyed by size, so 10k, 100k and 1M can be measured
one after the other as the graph grows (seeding only ever adds customers). Measures only.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
from typing import Any

import uvloop

from bench.environment import everything_else_pinned, gateway_process, load_average, machine
from bench.openloop import graphql_ok, new_session
from bench.scenarios import (
    HOME_QUERY,
    RunConfig,
    query_bodies,
    repeated,
    round_trips,
    sample_customers,
)
from bench.suite import CONTEXT_SCENARIOS, GATEWAY_PORT, RESULTS, SEED, count_seeded
from gateway.settings import Settings


async def measure(rate: float, config: RunConfig, scenario: str) -> dict[str, Any]:
    settings = Settings()
    with everything_else_pinned(settings):
        return await _measure(settings, rate, config, scenario)


async def _measure(
    settings: Settings, rate: float, config: RunConfig, scenario: str
) -> dict[str, Any]:
    size = await count_seeded(settings)
    ids = sample_customers(SEED, size, 2000)
    base = f"http://127.0.0.1:{GATEWAY_PORT}"
    bodies = query_bodies(HOME_QUERY, ids)
    async with gateway_process(GATEWAY_PORT, CONTEXT_SCENARIOS[scenario]), new_session() as s:
        trips = await round_trips(s, f"{base}/graphql", bodies(0))
        point = await repeated(s, graphql_ok(f"{base}/graphql", bodies), rate, config)
    return {
        "customers": size,
        "scenario": scenario,
        "cypherRoundTrips": trips,
        "point": point,
        "machine": await machine(settings),
        "loadAverageAfter": load_average(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=10.0)
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--scenario", default="uncached", choices=sorted(CONTEXT_SCENARIOS))
    args = parser.parse_args()
    config = RunConfig(args.duration, 2, 3, 0, args.rate, args.rate)
    result = uvloop.run(measure(args.rate, config, args.scenario))
    out = RESULTS / f"{dt.date.today().isoformat()}-scale.json"
    merged = json.loads(out.read_text()) if out.exists() else {}
    merged[f"{args.scenario}@{result['customers']}"] = result
    out.write_text(json.dumps(merged, indent=2) + "\n")
    point = result["point"]
    print(
        f"{result['customers']:,} customers, {args.scenario} at {args.rate} req/s: "
        f"p50 {point['p50_ms']} ms, p99 {point['p99_ms']} ms, errors {point['errors']}, "
        f"load {result['loadAverageAfter']} → {out}"
    )


if __name__ == "__main__":
    main()
