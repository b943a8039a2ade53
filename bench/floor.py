"""The floor under the uncached and fan-out targets: what the libraries alone cost on one core.

Run with ``make up`` serving (``.venv/bin/python -m bench.floor``). Each part is measured apart,
in the same run, on the gateway's core (core 0; the generator and the services on core 1):

- ``http``: a ``{ __typename }`` POST through a ``parcours serve`` of its own (aiohttp's server,
  our middlewares, Strawberry's view, a one-field execution): the gateway's CPU per request, from
  /proc, 4 requests at a time (its wall times are those of the 4).
- ``homeScreen``: the whole uncached home screen through the same gateway, the same way: what the
  floor below is compared with.
- ``graphqlHome`` / ``graphqlFanOut``: graphql-core alone executing the bench's home-screen (or
  fan-out) document over the very answer the gateway gave for it, as plain dicts, with
  graphql-core's default resolvers and a schema built from ``schema.graphql``: no Strawberry, no
  resolver of ours, no I/O.
- ``statement``: the home screen's context statement for one customer through
  ``GraphDatabase.read`` (the driver's exchange and decoding; Neo4j's own CPU is not counted);
  ``statementPerCustomerOf4``: the same statement for 4 customers at once (as concurrent requests
  share it, ``graph/shared_reads.py``), per customer.
- ``channelCall``: one ``ChannelClient.get_json`` to the OMS simulator (aiohttp's client).

Their sums bound what a request must cost the gateway's core whatever our own code does:
``http + graphqlHome + statementPerCustomerOf4`` for an uncached home screen (a ceiling in req/s,
next to the 400 req/s target), and ``http + graphqlFanOut + 5 x channelCall / 2`` for the part of
a fan-out request that the wait for its slowest call cannot hide, next to the 3 ms target: the
five other calls' sending (about half of a call's CPU) comes one after the other on the core
before the last call leaves; their answers, which arrive as spaced as they left, are read while
the others are awaited. Each figure is the median of ``--rounds`` rounds (their
spread is printed too), with the wall-clock p50 and p99 of one operation. Measures only.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import statistics
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import orjson
import uvloop
from graphql import build_schema, execute, parse

from bench.environment import GATEWAY_CORE, everything_else_pinned, gateway_process, machine
from bench.fan_out import customers as fan_out_customers
from bench.openloop import percentile
from bench.rawhttp import RawHttpPool, post_bytes
from bench.scenarios import FAN_OUT_QUERY, HOME_QUERY, sample_customers
from bench.suite import CONTEXT_SCENARIOS, GATEWAY_PORT, RESULTS, SEED, count_seeded
from channels import ChannelClient, ChannelConfig, Deadline
from gateway.settings import Settings
from graph import GraphDatabase
from graph.context import ContextRequest, contexts
from graph.history import HistoryRequest
from graph.recommendations import RecommendationRequest

SCHEMA_SDL = Path(__file__).parent.parent / "schema.graphql"
Op = Callable[[int], Awaitable[Any]]


def _cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _summary(cpu_ms: list[float], wall_ms: list[float]) -> dict[str, float]:
    return {
        "cpuMs": round(statistics.median(cpu_ms), 3),
        "cpuMsMin": round(min(cpu_ms), 3),
        "cpuMsMax": round(max(cpu_ms), 3),
        "wallP50Ms": round(percentile(wall_ms, 0.5), 3),
        "wallP99Ms": round(percentile(wall_ms, 0.99), 3),
    }


async def _rounds(op: Op, count: int, rounds: int, pid: int | None = None) -> dict[str, float]:
    """``count`` sequential calls of ``op`` per round, after as many to warm up; CPU per call of
    ``pid`` (this process when ``None``) and each call's wall time."""
    for index in range(count):
        await op(index)
    cpu_ms: list[float] = []
    wall_ms: list[float] = []
    for _ in range(rounds):
        before = _cpu_s(pid) if pid else time.process_time()
        for index in range(count):
            started = time.perf_counter()
            await op(index)
            wall_ms.append((time.perf_counter() - started) * 1000)
        after = _cpu_s(pid) if pid else time.process_time()
        cpu_ms.append((after - before) / count * 1000)
    return _summary(cpu_ms, wall_ms)


async def _answers(pool: RawHttpPool, url: str, query: str, ids: list[str]) -> list[Any]:
    found = []
    for customer in ids:
        body = orjson.dumps({"query": query, "variables": {"id": customer}})
        status, raw = await pool.request(post_bytes(url, body))
        answer = orjson.loads(raw)
        if status == 200 and "errors" not in answer:
            found.append(answer["data"])
    if not found:
        raise RuntimeError(f"no answer without errors from {url}")
    return found


def graphql_over(query: str) -> Callable[[Any], Any]:
    """graphql-core alone, executing ``query`` over an answer given as plain dicts (its default
    resolvers read each field by name), with a schema built from ``schema.graphql``: re-executing
    an answer returns that answer."""
    schema = build_schema(SCHEMA_SDL.read_text())
    document = parse(query)

    def run(answer: Any) -> Any:
        result = execute(schema, document, answer, variable_values={"id": "any"})
        if result.errors:  # type: ignore[union-attr]
            raise RuntimeError(result.errors)  # type: ignore[union-attr]
        return result.data  # type: ignore[union-attr]

    return run


def _graphql_op(query: str, answers: list[Any]) -> Op:
    run = graphql_over(query)

    async def op(index: int) -> None:
        run(answers[index % len(answers)])

    return op


async def measure(count: int, rounds: int) -> dict[str, Any]:
    settings = Settings()
    seeded = await count_seeded(settings)
    home_ids = sample_customers(SEED, seeded, 200)
    url = f"http://127.0.0.1:{GATEWAY_PORT}/graphql"
    figures: dict[str, Any] = {}
    with everything_else_pinned(settings):
        fan_ids = await fan_out_customers(settings)
        async with gateway_process(GATEWAY_PORT, CONTEXT_SCENARIOS["uncached"]) as pid:
            pool = RawHttpPool.for_url(url)
            typename = post_bytes(url, b'{"query": "{ __typename }"}')
            clients = 4

            async def http(index: int) -> None:
                await asyncio.gather(*(pool.request(typename) for _ in range(clients)))

            home_bodies = [
                post_bytes(url, orjson.dumps({"query": HOME_QUERY, "variables": {"id": c}}))
                for c in home_ids
            ]

            async def home_screens(index: int) -> None:
                await asyncio.gather(
                    *(
                        pool.request(home_bodies[(index * clients + n) % len(home_bodies)])
                        for n in range(clients)
                    )
                )

            for name, op in (("http", http), ("homeScreen", home_screens)):
                part = await _rounds(op, count // clients, rounds, pid)
                for key in ("cpuMs", "cpuMsMin", "cpuMsMax"):
                    part[key] = round(part[key] / clients, 3)
                figures[name] = part
            home = await _answers(pool, url, HOME_QUERY, home_ids)
            fan_out = await _answers(pool, url, FAN_OUT_QUERY, fan_ids)
            await pool.close()
        os.sched_setaffinity(0, {GATEWAY_CORE})  # the in-process parts run on the gateway's core
        figures["graphqlHome"] = await _rounds(_graphql_op(HOME_QUERY, home), count, rounds)
        figures["graphqlFanOut"] = await _rounds(_graphql_op(FAN_OUT_QUERY, fan_out), count, rounds)
        db = GraphDatabase.connect(
            settings.bolt_uri, settings.neo4j_credentials(), settings.neo4j_database
        )
        try:

            def home_screen(customer: str) -> ContextRequest:  # HOME_QUERY's context
                return ContextRequest(
                    customer, HistoryRequest(customer, 10), RecommendationRequest(customer, 5)
                )

            async def statement(index: int) -> None:
                await contexts(db, [home_screen(home_ids[index % len(home_ids)])])

            async def shared_statement(index: int) -> None:
                chosen = [home_ids[(index * 4 + n) % len(home_ids)] for n in range(4)]
                await contexts(db, [home_screen(c) for c in chosen])

            figures["statement"] = await _rounds(statement, count, rounds)
            shared = await _rounds(shared_statement, count // 4, rounds)
            figures["statementPerCustomerOf4"] = {
                key: round(value / 4, 3) if key.startswith("cpu") else value
                for key, value in shared.items()
            }
        finally:
            await db.close()
        oms = ChannelConfig(name="oms", base_url=settings.channel_url("oms"))
        async with ChannelClient(oms) as client:

            async def call(index: int) -> None:
                await client.get_json(
                    "/oms/availability", {"skus": "SKU-00001"}, deadline=Deadline.after(2.0)
                )

            figures["channelCall"] = await _rounds(call, count, rounds)
        env = await machine(settings)
    uncached_ms = sum(
        figures[k]["cpuMs"] for k in ("http", "graphqlHome", "statementPerCustomerOf4")
    )
    fan_out_ms = (
        figures["http"]["cpuMs"]
        + figures["graphqlFanOut"]["cpuMs"]
        + 5 * figures["channelCall"]["cpuMs"] / 2
    )
    return {
        "machine": env,
        "count": count,
        "rounds": rounds,
        "parts": figures,
        "uncachedFloorMs": round(uncached_ms, 3),
        "uncachedCeilingRps": round(1000 / uncached_ms),
        "uncachedCeilingVsTarget": round(1000 / uncached_ms / 400, 2),
        "homeScreenVsFloor": round(figures["homeScreen"]["cpuMs"] / uncached_ms, 2),
        "fanOutFloorMs": round(fan_out_ms, 3),
        "fanOutFloorVsTarget": round(fan_out_ms / 3.0, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=2000, help="operations per round")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    result = uvloop.run(measure(args.count, args.rounds))
    for name, part in result["parts"].items():
        print(
            f"{name:14s} CPU {part['cpuMs']:.3f} ms (rounds {part['cpuMsMin']:.3f}-"
            f"{part['cpuMsMax']:.3f}), wall p50 {part['wallP50Ms']:.3f} / p99 "
            f"{part['wallP99Ms']:.3f} ms"
        )
    print(
        f"uncached home screen: floor {result['uncachedFloorMs']} ms of the gateway's core → at "
        f"most {result['uncachedCeilingRps']} req/s ({result['uncachedCeilingVsTarget']}x the "
        f"400 req/s target) before any code of ours; the gateway's whole home screen costs "
        f"{result['parts']['homeScreen']['cpuMs']} ms ({result['homeScreenVsFloor']}x the floor)"
    )
    print(
        f"fan-out: {result['fanOutFloorMs']} ms of CPU its slowest call cannot hide "
        f"({result['fanOutFloorVsTarget']}x the 3 ms target) before any code of ours"
    )
    out = RESULTS / f"{dt.date.today().isoformat()}-floor.json"
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"written {out}")


if __name__ == "__main__":
    main()
