"""The request-rate scenarios of ``make bench``: what each sends, and how a point is measured.

A *curve* is a saturation search followed by the points at 25/50/75/90 % of saturation, each
repeated ``repeats`` times (warm-up excluded in each run). Each scenario runs against a gateway the
suite started with its own settings (see ``bench.suite``). Nothing here asserts on speed.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import aiohttp
import orjson

from bench.openloop import PointStats, Request, graphql_ok, run_open
from bench.saturation import Criteria, combine, find_saturation, fraction_rates
from graph.seed import customer_id

# The query a mobile app sends for its home screen: profile, identities, devices, the shared cart,
# the last ten interactions and five recommendations.
HOME_QUERY = """
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

# The fan-out query: every field below `displayName` needs one of the five channel systems.
FAN_OUT_QUERY = """
query FanOut($id: ID!) {
  customer(id: $id) {
    displayName
    cart { version total { amount } lines { unitPrice { amount } availability { online } } }
    orders(first: 3) { edges { node { id status } } }
    tickets(first: 3) { edges { node { id } } }
    devices { id registration { platform } }
    history(first: 5) { edges { node { id } } }
  }
}
"""


@dataclass(frozen=True)
class RunConfig:
    """How long and how often: ``quick`` trades precision for a run of a few minutes."""

    duration_s: float
    warmup_s: float
    repeats: int
    refine_steps: int
    start_rps: float
    max_rps: float
    # Before an uncached scenario's first point, a closed loop of home screens (4 at a time),
    # and before the cart scenario's runs, cart changes one after the other, for this long: the
    # fresh gateways' caches fill and Neo4j's JIT compiles the statements (Neo4j's CPU per
    # statement falls by two thirds over its first few thousand).
    warm_loop_s: float = 15.0

    @classmethod
    def quick(cls) -> RunConfig:
        return cls(duration_s=3, warmup_s=1, repeats=3, refine_steps=2, start_rps=25, max_rps=4000)

    @classmethod
    def full(cls) -> RunConfig:
        return cls(
            duration_s=10,
            warmup_s=2,
            repeats=3,
            refine_steps=3,
            start_rps=25,
            max_rps=8000,
            warm_loop_s=30.0,
        )


def sample_customers(seed: int, customers: int, count: int, rng_seed: int = 7) -> list[str]:
    """``count`` customer ids drawn uniformly (with repeats) from the seeded ``customers``."""
    rng = random.Random(rng_seed)
    return [customer_id(seed, rng.randrange(customers)) for _ in range(count)]


def query_bodies(query: str, ids: Sequence[str]) -> Callable[[int], bytes]:
    """Pre-serialized bodies, one per request index, cycling through ``ids``."""
    bodies = [orjson.dumps({"query": query, "variables": {"id": cid}}) for cid in ids]
    return lambda index: bodies[index % len(bodies)]


async def round_trips(session: aiohttp.ClientSession, url: str, body: bytes) -> int | None:
    """``extensions.cypherRoundTrips`` of one request (dev gateways report it)."""
    async with session.post(url, data=body, headers={"content-type": "application/json"}) as r:
        payload: dict[str, Any] = orjson.loads(await r.read())
    value = payload.get("extensions", {}).get("cypherRoundTrips")
    return int(value) if value is not None else None


async def repeated(
    session: aiohttp.ClientSession, request: Request, rate: float, config: RunConfig
) -> dict[str, Any]:
    """One point: ``config.repeats`` runs at ``rate``, combined, with the runs kept."""
    runs: list[PointStats] = []
    for _ in range(config.repeats):
        runs.append(await run_open(session, request, rate, config.duration_s, config.warmup_s))
    return {**combine(runs), "runs": [run.as_dict() for run in runs]}


async def curve(
    session: aiohttp.ClientSession,
    request: Request,
    config: RunConfig,
    criteria: Criteria | None = None,
) -> dict[str, Any]:
    """Saturation search, then each fraction point repeated."""

    async def probe(rate: float) -> PointStats:
        return await run_open(session, request, rate, config.duration_s, config.warmup_s)

    saturation = await find_saturation(
        probe,
        start_rps=config.start_rps,
        max_rps=config.max_rps,
        criteria=criteria,
        refine_steps=config.refine_steps,
    )
    points = []
    for rate in fraction_rates(saturation.rate) if saturation.rate > 0 else []:
        points.append(await repeated(session, request, rate, config))
    return {
        "saturationRps": round(saturation.rate, 1),
        "saturationCapped": saturation.capped,
        "searchProbes": [p.as_dict() for p in saturation.probes],
        "points": points,
    }


async def graphql_curve(
    session: aiohttp.ClientSession,
    base: str,
    query: str,
    ids: Sequence[str],
    config: RunConfig,
) -> dict[str, Any]:
    """A curve of ``query`` over ``ids``, with the Cypher round trips of one request."""
    bodies = query_bodies(query, ids)
    url = f"{base}/graphql"
    trips = [await round_trips(session, url, bodies(n)) for n in range(5)]
    result = await curve(session, graphql_ok(url, bodies), config)
    return {"cypherRoundTripsPerQuery": trips, **result}
