"""The open-model load generator: requests leave on a fixed schedule, whatever the server does.

Each request has a *scheduled* send time (``start + i / rate``); its latency is measured from that
time, not from when the client got round to sending it, so a server (or a client pool) that queues
cannot hide the queueing (no coordinated omission). The first ``warmup_s`` of every run is sent at
the same rate but left out of the figures. The client uses one aiohttp session with a bounded
connection pool (the lean client of ``bench.rawhttp`` for the request kinds below); every request
has a timeout, so a run always ends.

The generator also records its own *lag* (actual send minus scheduled send): when that grows, the
generator, not the server, is the bottleneck, and the point is flagged.

The pure parts (``schedule``, ``percentile``, ``summarize``) carry no I/O and are unit-tested.
This module must never assert on speed; it only measures.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import asdict, dataclass

import aiohttp

from bench.rawhttp import RawHttpPool, get_bytes, post_bytes

# One request: given the session, send it and say whether the answer was a success.
Request = Callable[[aiohttp.ClientSession, int], Awaitable[bool]]

# What a request the generator sends can fail with: an error in the figures, never a crash.
REQUEST_FAILURES = (aiohttp.ClientError, TimeoutError, ValueError, OSError, EOFError)


@dataclass(frozen=True)
class Sample:
    """One request: its latency from the scheduled send, the generator's lag, success."""

    latency_ms: float
    lag_ms: float
    ok: bool


@dataclass(frozen=True)
class PointStats:
    """The figures of one run at one offered rate (warm-up excluded)."""

    offered_rps: float
    achieved_rps: float
    sent: int
    errors: int
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    lag_p99_ms: float

    def as_dict(self) -> dict[str, float | int]:
        return {
            key: round(value, 3) if isinstance(value, float) else value
            for key, value in asdict(self).items()
        }


def schedule(rate: float, duration_s: float) -> list[float]:
    """Send offsets (seconds from the start) of ``rate`` requests/s for ``duration_s``.

    Example:
        >>> schedule(4, 1)
        [0.0, 0.25, 0.5, 0.75]
    """
    if rate <= 0 or duration_s <= 0:
        raise ValueError("rate and duration must be positive")
    return [index / rate for index in range(math.floor(rate * duration_s + 1e-9))]


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q`` quantile (0..1) of ``values``, interpolated linearly between order statistics.

    Example:
        >>> percentile([1.0, 2.0, 3.0, 4.0], 0.5)
        2.5
    """
    if not 0 <= q <= 1:
        raise ValueError("q must lie in [0, 1]")
    if not values:
        return math.nan
    ordered = sorted(values)
    position = q * (len(ordered) - 1)
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def summarize(offered_rps: float, samples: Sequence[Sample], window_s: float) -> PointStats:
    """Figures of a run: ``window_s`` is the time from the first measured scheduled send to the
    last measured answer, so ``achieved_rps`` falls below ``offered_rps`` when answers lag."""
    latencies = [sample.latency_ms for sample in samples]
    succeeded = sum(1 for sample in samples if sample.ok)
    return PointStats(
        offered_rps=offered_rps,
        achieved_rps=succeeded / window_s if window_s > 0 else math.nan,
        sent=len(samples),
        errors=len(samples) - succeeded,
        p50_ms=percentile(latencies, 0.50),
        p90_ms=percentile(latencies, 0.90),
        p99_ms=percentile(latencies, 0.99),
        max_ms=max(latencies, default=math.nan),
        lag_p99_ms=percentile([sample.lag_ms for sample in samples], 0.99),
    )


async def run_open(
    session: aiohttp.ClientSession,
    request: Request,
    rate: float,
    duration_s: float,
    warmup_s: float = 1.0,
) -> PointStats:
    """Send ``request`` at ``rate``/s for ``warmup_s + duration_s``; figures exclude the warm-up.

    The session's own timeout bounds each request; a timed-out or failed request is an error
    whose latency is the time until it failed.
    """
    offsets = schedule(rate, warmup_s + duration_s)
    first_measured = math.ceil(rate * warmup_s - 1e-9)
    samples: list[Sample | None] = [None] * len(offsets)
    finished: list[float] = []
    # perf_counter, not loop.time(): uvloop's clock only has millisecond resolution.
    clock = time.perf_counter
    start = clock() + 0.05

    async def one(index: int, scheduled: float) -> None:
        lag = clock() - scheduled
        try:
            ok = await request(session, index)
        except REQUEST_FAILURES:
            ok = False
        done = clock()
        samples[index] = Sample((done - scheduled) * 1000, lag * 1000, ok)
        if index >= first_measured:
            finished.append(done)

    tasks: set[asyncio.Task[None]] = set()
    next_index = 0
    while next_index < len(offsets):
        now = clock()
        # Launch everything that is due: one wake-up may cover several sends at high rates.
        while next_index < len(offsets) and start + offsets[next_index] <= now:
            task = asyncio.create_task(one(next_index, start + offsets[next_index]))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
            next_index += 1
        if next_index < len(offsets):
            await asyncio.sleep(max(0.0, start + offsets[next_index] - clock()))
    while tasks:
        await asyncio.gather(*list(tasks))
    measured = [sample for sample in samples[first_measured:] if sample is not None]
    # The measured window lasts its scheduled length, longer if the last answer came later.
    opened = start + offsets[first_measured]
    window = max([opened + len(measured) / rate, *finished]) - opened
    return summarize(rate, measured, window)


async def closed_loop(send: Callable[[int], Awaitable[bool]], clients: int, seconds: float) -> int:
    """``clients`` senders, each sending again as soon as its answer is in, for ``seconds`` (a
    warm-up, not a measurement: the open model is ``run_open``); ``send(n)`` gets a running
    count and is true when answered (a request that fails, ``REQUEST_FAILURES``, is not).
    Returns how many were answered."""
    deadline = time.monotonic() + seconds
    sent = 0
    answered = 0

    async def client() -> None:
        nonlocal sent, answered
        while time.monotonic() < deadline:
            index, sent = sent, sent + 1
            try:
                ok = await send(index)
            except REQUEST_FAILURES:
                ok = False
            answered += ok  # after the await: `answered += await ...` loses updates

    await asyncio.gather(*(client() for _ in range(clients)))
    return answered


def new_session(pool: int = 256, timeout_s: float = 5.0) -> aiohttp.ClientSession:
    """The generator's client: a bounded connection pool, a total timeout per request."""
    return aiohttp.ClientSession(
        timeout=aiohttp.ClientTimeout(total=timeout_s),
        connector=aiohttp.TCPConnector(limit=pool, limit_per_host=pool, force_close=False),
    )


def get_ok(url: str) -> Request:
    """A GET of ``url`` that succeeds on HTTP 200 (sent by the lean client of ``bench.rawhttp``,
    so the generator's own cost stays far below the server's)."""
    raw = get_bytes(url)
    pool = RawHttpPool.for_url(url)

    async def send(_session: aiohttp.ClientSession, _: int) -> bool:
        status, _body = await pool.request(raw)
        return status == 200

    return send


def graphql_ok(url: str, body_for: Callable[[int], bytes]) -> Request:
    """A POST of a pre-serialized GraphQL body; success is HTTP 200 without ``errors``."""
    requests: dict[bytes, bytes] = {}
    pool = RawHttpPool.for_url(url)

    async def send(_session: aiohttp.ClientSession, index: int) -> bool:
        body = body_for(index)
        raw = requests.get(body)
        if raw is None:
            raw = requests[body] = post_bytes(url, body)
        status, answer = await pool.request(raw)
        return status == 200 and b'"errors"' not in answer

    return send
