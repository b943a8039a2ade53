"""Liveness and readiness: ``/healthz`` says the process runs, ``/readyz`` that it can serve.

Readiness checks each dependency with its own short timeout, concurrently, and reports each one, so
a load balancer stops sending traffic to an instance whose Neo4j or Redis is gone.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

from aiohttp import web

from gateway.state import GRAPH, REDIS

_CHECK_TIMEOUT_S = 2.0


async def healthz(_: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


async def _check(probe: Callable[[], Awaitable[object]]) -> dict[str, object]:
    started = time.perf_counter()
    try:
        await asyncio.wait_for(probe(), timeout=_CHECK_TIMEOUT_S)
    except Exception as exc:
        return {"ok": False, "error": f"{type(exc).__name__}: {exc}"[:300]}
    return {"ok": True, "latencyMs": round((time.perf_counter() - started) * 1000, 2)}


async def readyz(request: web.Request) -> web.Response:
    graph, redis = request.app[GRAPH], request.app[REDIS]
    neo4j_check, redis_check = await asyncio.gather(_check(graph.ping), _check(redis.ping))
    checks = {"neo4j": neo4j_check, "redis": redis_check}
    ready = all(check["ok"] for check in checks.values())
    return web.json_response(
        {"status": "ready" if ready else "unavailable", "checks": checks},
        status=200 if ready else 503,
    )
