"""Benchmark the federation fan-out: gateway latency minus the slowest channel's, same run.

Needs ``make up`` running (ideally started with ``PARCOURS_SIMULATOR_LATENCY_MS=0
PARCOURS_SIMULATOR_JITTER_MS=0`` so the only latency is the fixed one this script injects):

    .venv/bin/python -m bench.fan_out --latency-ms 20 --rate 20 --duration 10

It sets every simulator to +N ms, measures a direct call to each system (the channel baseline) and
the context query that touches all five, at the same fixed rate, then resets the simulators.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
import orjson

from bench.openloop import Request, get_ok, graphql_ok, new_session, percentile, run_open
from bench.rawhttp import RawHttpPool, post_bytes
from bench.scenarios import FAN_OUT_QUERY, query_bodies
from gateway.settings import CHANNEL_SYSTEMS, Settings
from graph import GraphDatabase

_EVERYWHERE = """
MATCH (c:Customer)-[:HAS_CART]->(:Cart {status: 'active'})
WHERE EXISTS { (c)-[:IDENTIFIED_BY]->(:Identity {kind: 'contact_centre_id'}) }
  AND EXISTS { (c)-[:IDENTIFIED_BY]->(:Identity {kind: 'pos_customer_number'}) }
  AND EXISTS { (c)-[:IDENTIFIED_BY]->(:Identity {kind: 'app_install_id'}) }
RETURN c.id AS id ORDER BY c.id LIMIT 200
"""


@dataclass
class OverheadLog:
    """Per answer: the gateway's latency minus its slowest channel call's (``sources.latencyMs``),
    both in the same request, so the figure is what the gateway adds, whatever delayed the
    systems (on a 2-core machine, five simulators and Neo4j share one core)."""

    skip: int  # the warm-up's requests
    overheads_ms: list[float] = field(default_factory=list)

    def summary(self) -> dict[str, float]:
        values = self.overheads_ms
        return {
            "answers": len(values),
            "p50_ms": round(percentile(values, 0.5), 2),
            "p99_ms": round(percentile(values, 0.99), 2),
        }


def overhead_request(url: str, body_for: Callable[[int], bytes], log: OverheadLog) -> Request:
    """A fan-out query that also logs, per answer past the warm-up, what the gateway added."""
    pool = RawHttpPool.for_url(url)

    async def send(_session: aiohttp.ClientSession, index: int) -> bool:
        raw = post_bytes(url, body_for(index))
        started = time.perf_counter()
        status, answer = await pool.request(raw)
        elapsed_ms = (time.perf_counter() - started) * 1000
        if status != 200 or b'"errors"' in answer:
            return False
        sources = orjson.loads(answer).get("extensions", {}).get("sources", [])
        slowest = max((s.get("latencyMs") or 0.0 for s in sources), default=0.0)
        if index >= log.skip and sources:
            log.overheads_ms.append(elapsed_ms - slowest)
        return True

    return send


async def customers(settings: Settings) -> list[str]:
    db = GraphDatabase.connect(
        settings.bolt_uri, settings.neo4j_credentials(), settings.neo4j_database
    )
    try:
        return [str(row["id"]) for row in await db.read(_EVERYWHERE)]
    finally:
        await db.close()


async def set_latency(settings: Settings, latency_ms: float | None) -> None:
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5)) as session:
        for system in CHANNEL_SYSTEMS:
            url = settings.channel_url(system)
            path = "/admin/reset" if latency_ms is None else "/admin/faults"
            body = {} if latency_ms is None else {"latencyMs": latency_ms}
            async with session.post(url + path, json=body) as response:
                response.raise_for_status()


async def main(latency_ms: float, rate: float, duration: float, base: str) -> dict[str, object]:
    settings = Settings()
    ids = await customers(settings)
    await set_latency(settings, latency_ms)
    context_query = graphql_ok(f"{base}/graphql", query_bodies(FAN_OUT_QUERY, ids))
    channel = get_ok(f"{settings.channel_url('oms')}/oms/availability?skus=SKU-00001")
    try:
        async with new_session() as session:
            direct = await run_open(session, channel, rate, duration)
            # The warm-up (stale answers, query plans) is excluded from the gateway's figures.
            gateway = await run_open(session, context_query, rate, duration, warmup_s=2.0)
    finally:
        await set_latency(settings, None)
    report = {
        "scenario": f"fan-out to five systems at +{latency_ms:.0f} ms",
        "slowestChannelDirect": direct.as_dict(),
        "gateway": gateway.as_dict(),
        "gatewayMinusChannelP50Ms": round(gateway.p50_ms - direct.p50_ms, 2),
        "gatewayMinusChannelP99Ms": round(gateway.p99_ms - direct.p99_ms, 2),
    }
    print(json.dumps(report, indent=2))
    return report


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency-ms", type=float, default=20.0)
    parser.add_argument("--rate", type=float, default=20.0)
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--url", default="http://127.0.0.1:8080")
    args = parser.parse_args()
    result = asyncio.run(main(args.latency_ms, args.rate, args.duration, args.url))
    out = Path(__file__).parent / "results" / f"{dt.date.today().isoformat()}-fan-out.json"
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"written {out}")
