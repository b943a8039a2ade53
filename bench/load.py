"""An open-model load generator: requests leave on a fixed schedule, whatever the server does.

Latency is measured from each request's *scheduled* send time, so a server that queues cannot hide
its queueing (no coordinated omission). Every request has a timeout; the run stops by itself.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import aiohttp


@dataclass(frozen=True)
class LoadResult:
    offered_rps: float
    achieved_rps: float
    sent: int
    errors: int
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float

    def as_dict(self) -> dict[str, float | int]:
        return {
            key: round(value, 3) if isinstance(value, float) else value
            for key, value in vars(self).items()
        }


def percentile(sorted_values: list[float], q: float) -> float:
    if not sorted_values:
        return float("nan")
    index = min(len(sorted_values) - 1, max(0, round(q * (len(sorted_values) - 1))))
    return sorted_values[index]


async def run_load(
    url: str,
    rate: float,
    duration_s: float,
    body_for: Callable[[int], dict[str, Any] | None],
    timeout_s: float = 5.0,
) -> LoadResult:
    """Send ``rate`` requests/s for ``duration_s``; POST JSON when ``body_for`` gives a body."""
    latencies: list[float] = []
    errors = 0
    total = int(rate * duration_s)
    timeout = aiohttp.ClientTimeout(total=timeout_s)
    connector = aiohttp.TCPConnector(limit=512)
    async with aiohttp.ClientSession(timeout=timeout, connector=connector) as session:

        async def one(index: int, scheduled: float) -> None:
            nonlocal errors
            body = body_for(index)
            try:
                if body is None:
                    async with session.get(url) as response:
                        await response.read()
                        ok = response.status == 200
                else:
                    async with session.post(url, json=body) as response:
                        payload = await response.json()
                        ok = response.status == 200 and not payload.get("errors")
            except (aiohttp.ClientError, TimeoutError):
                ok = False
            latencies.append((time.perf_counter() - scheduled) * 1000)
            if not ok:
                errors += 1

        start = time.perf_counter() + 0.05
        tasks = []
        for index in range(total):
            scheduled = start + index / rate
            delay = scheduled - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(one(index, scheduled)))
        await asyncio.gather(*tasks)
        elapsed = time.perf_counter() - start
    ordered = sorted(latencies)
    return LoadResult(
        offered_rps=rate,
        achieved_rps=total / elapsed,
        sent=total,
        errors=errors,
        p50_ms=statistics.median(ordered),
        p90_ms=percentile(ordered, 0.90),
        p99_ms=percentile(ordered, 0.99),
        max_ms=ordered[-1],
    )
