"""Benchmark event ingest: what a signed webhook batch costs, with and without stitching.

Needs ``make up`` running (dev webhook keys). For each batch size it posts ``--batches`` batches
one after the other (a closed loop: the figure is the cost of one batch, not a saturation rate)
and prints median and p99 latency per batch and events per second, for two mixes measured in the
same run: ``views`` (known customers' product views, journeys only) and ``logins`` (each event a
new web id with a known email: one link per event, journeys too).

    .venv/bin/python -m bench.ingest --sizes 1,10,100 --batches 30
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import random
import statistics
import time
import uuid
from pathlib import Path
from typing import Any

import aiohttp

from bench.openloop import percentile
from gateway.settings import Settings
from graph import GraphDatabase
from simulators._webhooks import signed_headers

_EMAILS = """
MATCH (c:Customer)-[:IDENTIFIED_BY]->(i:Identity {kind: 'email'})
RETURN i.value AS email ORDER BY c.id LIMIT 500
"""
_SKUS = "MATCH (p:Product) RETURN p.sku AS sku ORDER BY p.sku LIMIT 500"


async def _reference(settings: Settings) -> tuple[list[str], list[str]]:
    db = GraphDatabase.connect(
        settings.bolt_uri, settings.neo4j_credentials(), settings.neo4j_database
    )
    try:
        emails = [str(row["email"]) for row in await db.read(_EMAILS)]
        skus = [str(row["sku"]) for row in await db.read(_SKUS)]
        return emails, skus
    finally:
        await db.close()


def _event(mix: str, email: str, sku: str) -> dict[str, Any]:
    identifiers = [{"kind": "email", "value": email}]
    if mix == "logins":
        identifiers.insert(0, {"kind": "web_anonymous_id", "value": f"bench-{uuid.uuid4().hex}"})
    return {
        "id": f"bench-{uuid.uuid4().hex}",
        "type": "view",
        "at": dt.datetime.now(dt.UTC).isoformat(),
        "identifiers": identifiers,
        "sku": sku,
    }


async def _measure(
    session: aiohttp.ClientSession, url: str, batches: list[bytes]
) -> dict[str, float]:
    latencies: list[float] = []
    events = 0
    for body in batches:
        headers = signed_headers("dev-webhook-secret-web", body)
        started = time.perf_counter()
        async with session.post(url, data=body, headers=headers) as response:
            answer = await response.json()
            if response.status != 200:
                raise RuntimeError(f"webhook answered {response.status}: {answer}")
        latencies.append((time.perf_counter() - started) * 1000)
        events += int(answer["accepted"])
    ordered = sorted(latencies)
    return {
        "p50_ms": round(statistics.median(ordered), 2),
        "p99_ms": round(percentile(ordered, 0.99), 2),
        "events_per_s": round(events / (sum(latencies) / 1000), 1),
    }


async def main(sizes: list[int], batches: int, base: str) -> dict[str, Any]:
    settings = Settings()
    emails, skus = await _reference(settings)
    rng = random.Random(7)
    url = f"{base}/webhooks/web"
    report: dict[str, Any] = {"batches_per_point": batches, "points": []}
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60)) as session:
        for size in sizes:
            for mix in ("views", "logins"):
                bodies = [
                    json.dumps(
                        {"events": [_event(mix, rng.choice(emails), rng.choice(skus))
                                    for _ in range(size)]}
                    ).encode()
                    for _ in range(batches + 3)
                ]  # fmt: skip
                await _measure(session, url, bodies[:3])  # warm-up, not counted
                point = {"batch_size": size, "mix": mix, **await _measure(session, url, bodies[3:])}
                print(json.dumps(point))
                report["points"].append(point)
    return report


def cli() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1,10,100")
    parser.add_argument("--batches", type=int, default=30)
    parser.add_argument("--base", default="http://127.0.0.1:8080")
    args = parser.parse_args()
    sizes = [int(size) for size in args.sizes.split(",")]
    report = asyncio.run(main(sizes, args.batches, args.base))
    out = Path(__file__).parent / "results" / f"{dt.date.today().isoformat()}-ingest.json"
    out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"written {out}")


if __name__ == "__main__":
    cli()
