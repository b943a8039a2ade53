"""``make bench``: every scenario, against gateways this suite starts pinned to core 0.

    .venv/bin/python -m bench.suite [--quick] [--only cached,uncached,...]

Needs ``make up`` running (Neo4j, Redis, the five simulators; ideally started with
``PARCOURS_SIMULATOR_LATENCY_MS=0 PARCOURS_SIMULATOR_JITTER_MS=0``). It moves itself and those
services to core 1, starts one ``parcours serve`` per scenario on core 0 with that scenario's
settings, and writes ``bench/results/<date>.json`` plus a PNG plot and a markdown summary.
It measures and reports; it never fails because a figure misses a target.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import json
import signal
from collections.abc import Callable
from pathlib import Path
from typing import Any

import aiohttp
import uvloop

from bench import fan_out
from bench.environment import (
    everything_else_pinned,
    gateway_process,
    load_average,
    machine,
    trivial_process,
)
from bench.openloop import REQUEST_FAILURES, closed_loop, get_ok, graphql_ok, new_session
from bench.realtime_bench import cart_to_subscriber, warm_up_mutations
from bench.report import markdown, plot
from bench.scenarios import (
    FAN_OUT_QUERY,
    HOME_QUERY,
    RunConfig,
    graphql_curve,
    query_bodies,
    repeated,
    sample_customers,
)
from gateway.response_cache import HIT_HEADER
from gateway.settings import Settings
from graph import GraphDatabase
from graph.customers import count_customers

RESULTS = Path(__file__).parent / "results"
GATEWAY_PORT, PORT_A, PORT_B, TRIVIAL_PORT = 8090, 8091, 8092, 8099
SEED = 42
MAX_GENERATOR_LAG_MS = 20.0
# Each context-query scenario: the PARCOURS_* settings its gateway runs with.
# Cached scenarios keep their entries for the whole run and are filled before it.
# `cached` is the Redis response cache (whole answers by context version); the profile cache
# (context_cache) no longer matters to this query, which reads the profile with history and
# recommendations in one statement. Entries live the whole run (live-data ones included: the
# scenario measures the hit path, not freshness).
_LONG_TTL = {
    "PARCOURS_RESPONSE_CACHE_TTL_S": "3600",
    "PARCOURS_RESPONSE_CACHE_LIVE_TTL_S": "3600",
}
CONTEXT_SCENARIOS: dict[str, dict[str, str]] = {
    "cached": {"PARCOURS_RESPONSE_CACHE_ENABLED": "true", **_LONG_TTL},
    # The same, with each instance's copy invalidated by Redis (gateway/near_cache.py).
    "cached_near": {
        "PARCOURS_RESPONSE_CACHE_ENABLED": "true",
        "PARCOURS_RESPONSE_CACHE_NEAR_ENABLED": "true",
        **_LONG_TTL,
    },
    "uncached": {"PARCOURS_CONTEXT_CACHE_ENABLED": "false"},
    "naive": {"PARCOURS_CONTEXT_CACHE_ENABLED": "false", "PARCOURS_NAIVE_BASELINE": "true"},
}
CACHED = ("cached", "cached_near")
HOT_SET = 100  # cached scenarios: the customers whose home screens are in the cache
ALL = (*CONTEXT_SCENARIOS, "fan_out", "cart_to_subscriber")


async def count_seeded(settings: Settings) -> int:
    db = GraphDatabase.connect(
        settings.bolt_uri, settings.neo4j_credentials(), settings.neo4j_database
    )
    try:
        return await count_customers(db)
    finally:
        await db.close()


async def _prefill(url: str, bodies: list[bytes]) -> int:
    """Ask for every customer of the hot set once (4 at a time, 60 s each), so a cached
    scenario measures hits; returns how many answered."""
    limit = asyncio.Semaphore(4)
    send = graphql_ok(url, lambda n: bodies[n])
    async with new_session(timeout_s=60) as session:

        async def one(n: int) -> bool:
            async with limit:
                with contextlib.suppress(*REQUEST_FAILURES):
                    return await send(session, n)
                return False

        return sum(await asyncio.gather(*(one(n) for n in range(len(bodies)))))


async def _warm_up(url: str, body_for: Callable[[int], bytes], seconds: float) -> int:
    """A closed loop of 4 clients for ``seconds``; returns how many answered."""
    request = graphql_ok(url, body_for)
    async with new_session(timeout_s=60) as session:
        return await closed_loop(lambda n: request(session, n), clients=4, seconds=seconds)


async def _cache_state(session: aiohttp.ClientSession, base: str, body: bytes) -> bool:
    headers = {"content-type": "application/json"}
    async with session.post(f"{base}/graphql", data=body, headers=headers) as response:
        await response.read()
        return response.headers.get(HIT_HEADER) == "hit"


async def context_scenario(name: str, ids: list[str], config: RunConfig) -> dict[str, Any]:
    base = f"http://127.0.0.1:{GATEWAY_PORT}"
    async with gateway_process(GATEWAY_PORT, CONTEXT_SCENARIOS[name]), new_session() as session:
        filled = None
        if name in CACHED:
            ids = ids[:HOT_SET]
            bodies = query_bodies(HOME_QUERY, ids)
            filled = await _prefill(f"{base}/graphql", [bodies(n) for n in range(len(ids))])
        if name in CACHED:
            # Home screens where a channel system failed are never stored (the bench's stores
            # system knows only the customers it was started with): measure the hits.
            ids = [i for n, i in enumerate(ids) if await _cache_state(session, base, bodies(n))]
        warm = None
        if name not in CACHED and config.warm_loop_s > 0:
            sent = await _warm_up(
                f"{base}/graphql", query_bodies(HOME_QUERY, ids), config.warm_loop_s
            )
            warm = {"seconds": config.warm_loop_s, "answered": sent}
        result = await graphql_curve(session, base, HOME_QUERY, ids, config)
        result["warmLoop"] = warm
        result["customersQueried"] = len(ids)
        result["prefilled"] = filled
    result["loadAverage"] = load_average()
    print(f"{name}: saturation {result['saturationRps']} req/s, load {result['loadAverage']}")
    return result


async def fan_out_scenario(config: RunConfig, latency_ms: float = 20.0) -> dict[str, Any]:
    settings = Settings()
    ids = await fan_out.customers(settings)
    base = f"http://127.0.0.1:{GATEWAY_PORT}"
    direct_url = f"{settings.channel_url('oms')}/oms/availability?skus=SKU-00001"
    await fan_out.set_latency(settings, latency_ms)
    points, direct_points, in_request = [], [], []
    bodies = query_bodies(FAN_OUT_QUERY, ids)
    try:
        async with gateway_process(GATEWAY_PORT, {}), new_session() as session:
            # One pass over the customers first: a returning customer's profile is in the
            # context cache, which lets the channel calls start before the graph answers.
            gateway = graphql_ok(f"{base}/graphql", bodies)
            failed = 0
            for n in range(len(ids)):
                try:
                    failed += not await gateway(session, n)
                except REQUEST_FAILURES:  # a cold Neo4j can take seconds: it only warms less
                    failed += 1
            if failed:
                print(f"fan-out warm pass: {failed} of {len(ids)} requests failed", flush=True)
            for rate in (20.0,) if config.duration_s < 5 else (20.0, 50.0):
                direct_points.append(await repeated(session, get_ok(direct_url), rate, config))
                log = fan_out.OverheadLog(skip=int(rate * config.warmup_s))
                request = fan_out.overhead_request(f"{base}/graphql", bodies, log)
                points.append(await repeated(session, request, rate, config))
                in_request.append({"offered_rps": rate, **log.summary()})
    finally:
        await fan_out.set_latency(settings, None)
    overheads = [
        {
            "offered_rps": g["offered_rps"],
            "p50_minus_channel_ms": round(g["p50_ms"] - d["p50_ms"], 2),
            "p99_minus_channel_ms": round(g["p99_ms"] - d["p99_ms"], 2),
            "p50_minus_slowest_call_in_request_ms": r["p50_ms"],
            "p99_minus_slowest_call_in_request_ms": r["p99_ms"],
        }
        for g, d, r in zip(points, direct_points, in_request, strict=True)
    ]
    summary = "; ".join(
        f"at {o['offered_rps']} req/s gateway p50 is slowest channel (called alone) + "
        f"{o['p50_minus_channel_ms']} ms (p99 + {o['p99_minus_channel_ms']} ms); "
        f"the slowest call of the same request + {o['p50_minus_slowest_call_in_request_ms']} ms "
        f"(p99 + {o['p99_minus_slowest_call_in_request_ms']} ms)"
        for o in overheads
    )
    return {
        "channelLatencyMs": latency_ms,
        "points": points,
        "channelDirect": direct_points,
        "overhead": overheads,
        "summary": summary,
        "loadAverage": load_average(),
    }


async def subscriber_scenario(config: RunConfig, customer: str) -> dict[str, Any]:
    base_a, base_b = f"http://127.0.0.1:{PORT_A}", f"http://127.0.0.1:{PORT_B}"
    runs = []
    async with (
        gateway_process(PORT_A, {}),
        gateway_process(PORT_B, {}),
        new_session() as session,
    ):
        # Right after a restart of Neo4j, the first cart changes took seconds and the open
        # schedule queued behind them (sixth session: a first run's p50 of 3.3 s).
        warmed = await warm_up_mutations(session, base_a, customer, config.warm_loop_s)
        for _ in range(config.repeats):
            runs.append(
                await cart_to_subscriber(
                    session,
                    base_a=base_a,
                    base_b=base_b,
                    customer=customer,
                    rate=20.0,
                    duration_s=config.duration_s,
                    warmup_s=config.warmup_s,
                )
            )
    p50 = sorted(r["p50_ms"] for r in runs)[len(runs) // 2]
    p99 = sorted(r["p99_ms"] for r in runs)[len(runs) // 2]
    return {
        "runs": runs,
        "warmLoop": {"seconds": config.warm_loop_s, "answered": warmed},
        "summary": f"cart change on A → subscriber on B at 20 changes/s: median of "
        f"{len(runs)} runs p50 {p50} ms, p99 {p99} ms (from the scheduled mutation send)",
        "loadAverage": load_average(),
    }


async def generator_check(best_rps: float, config: RunConfig) -> dict[str, Any]:
    """Prove the generator is not the bottleneck: ≥ 3x the gateway's best rate, trivial server."""
    rate = max(3 * best_rps, 300.0)
    url = f"http://127.0.0.1:{TRIVIAL_PORT}/ok"
    async with trivial_process(TRIVIAL_PORT), new_session() as session:
        point = await repeated(session, get_ok(url), rate, config)
    # Kept up: the rate was delivered, nothing failed, and sends left on time (lag p99 small).
    ok = (
        point["achieved_rps"] >= 0.95 * rate
        and point["errors"] == 0
        and point["lag_p99_ms"] <= MAX_GENERATOR_LAG_MS
    )
    return {
        **point,
        "targetRps": rate,
        "sustained": ok,
        "summary": f"{'sustained' if ok else 'did NOT sustain'} {rate:.0f} req/s (3x best "
        f"gateway rate {best_rps:.0f}) against a trivial server: achieved "
        f"{point['achieved_rps']}, p99 {point['p99_ms']} ms, generator lag p99 "
        f"{point['lag_p99_ms']} ms",
        "loadAverage": load_average(),
    }


async def run(config: RunConfig, mode: str, only: tuple[str, ...]) -> dict[str, Any]:
    settings = Settings()
    with everything_else_pinned(settings) as pinned:
        return await _run(settings, pinned, config, mode, only)


async def _run(
    settings: Settings, pinned: list[str], config: RunConfig, mode: str, only: tuple[str, ...]
) -> dict[str, Any]:
    customers = await count_seeded(settings)
    ids = sample_customers(SEED, customers, 500)
    result: dict[str, Any] = {
        "startedAt": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "mode": mode,
        "machine": await machine(settings),
        "pinned": {"gatewayCore": 0, "core1": pinned},
        "customers": customers,
        "config": vars(config),
        "scenarios": {},
    }
    print(json.dumps(result["machine"], indent=2))
    scenarios: dict[str, Any] = result["scenarios"]
    for name in CONTEXT_SCENARIOS:
        if name in only:
            scenarios[name] = await context_scenario(name, ids, config)
    if "fan_out" in only:
        scenarios["fan_out"] = await fan_out_scenario(config)
        print(scenarios["fan_out"]["summary"])
    if "cart_to_subscriber" in only:
        scenarios["cart_to_subscriber"] = await subscriber_scenario(config, ids[0])
        print(scenarios["cart_to_subscriber"]["summary"])
    best = max((s.get("saturationRps", 0.0) for s in scenarios.values()), default=0.0)
    result["generatorCheck"] = await generator_check(best, config)
    print(result["generatorCheck"]["summary"])
    return result


def write(result: dict[str, Any], stem: str) -> list[Path]:
    RESULTS.mkdir(exist_ok=True)
    data = RESULTS / f"{stem}.json"
    data.write_text(json.dumps(result, indent=2) + "\n")
    summary = RESULTS / f"{stem}.md"
    summary.write_text(markdown(result))
    png = plot(result, RESULTS / f"{stem}.png")
    return [data, summary, *([png] if png else [])]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="3 s runs, coarse search")
    parser.add_argument("--only", default=",".join(ALL), help=f"subset of {','.join(ALL)}")
    parser.add_argument("--tag", default="", help="suffix of the result files' names")
    args = parser.parse_args()
    only = tuple(args.only.split(","))
    config = RunConfig.quick() if args.quick else RunConfig.full()
    mode = "quick" if args.quick else "full"
    # SIGTERM unwinds like Ctrl-C, so the gateways this run started are stopped too.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    result = uvloop.run(run(config, mode, only))
    stem = dt.date.today().isoformat() + ("-quick" if args.quick else "")
    stem += f"-{args.tag}" if args.tag else ""
    for path in write(result, stem):
        print(f"written {path}")


if __name__ == "__main__":
    main()
