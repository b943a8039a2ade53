"""Find the saturation rate of an endpoint, then the points at fractions of it.

A rate is *sustained* when the server keeps up with it under the open model: at least
``min_ratio`` of the offered rate is answered within the run, under ``max_error_ratio`` errors, and
the p99 latency stays below ``p99_limit_ms`` (past saturation the queue, hence latency, grows
without bound, so p99 shoots up past ``p99_limit_ms``, 1 s by default: generous, because a
shared, busy machine makes even single requests slow). The search doubles (``growth``) from a
start rate until a rate is not sustained, then bisects between the last sustained rate and the
first unsustained one.

Pure logic over an async ``probe(rate) -> PointStats``: no I/O here, unit-tested with plain
functions. It must never decide anything from wall-clock time itself.
"""

from __future__ import annotations

import statistics
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field

from bench.openloop import PointStats

Probe = Callable[[float], Awaitable[PointStats]]
FRACTIONS = (0.25, 0.50, 0.75, 0.90)


@dataclass(frozen=True)
class Criteria:
    """When a rate counts as sustained."""

    min_ratio: float = 0.95
    max_error_ratio: float = 0.01
    p99_limit_ms: float = 1000.0

    def sustained(self, stats: PointStats) -> bool:
        if stats.sent == 0:
            return False
        return (
            stats.achieved_rps >= self.min_ratio * stats.offered_rps
            and stats.errors <= self.max_error_ratio * stats.sent
            and stats.p99_ms <= self.p99_limit_ms
        )


@dataclass
class Saturation:
    """The highest sustained rate found, whether the search hit its ceiling, and every probe."""

    rate: float
    capped: bool
    probes: list[PointStats] = field(default_factory=list)


async def find_saturation(
    probe: Probe,
    *,
    start_rps: float,
    max_rps: float,
    criteria: Criteria | None = None,
    growth: float = 2.0,
    refine_steps: int = 3,
) -> Saturation:
    """The highest rate ``probe`` sustains, to within ``(high - low) / 2**refine_steps``.

    Returns rate 0 when not even ``start_rps`` is sustained (after trying halves of it down to
    a sixty-fourth), and ``capped=True`` when ``max_rps`` itself was sustained.
    """
    if start_rps <= 0 or max_rps < start_rps or growth <= 1:
        raise ValueError("need 0 < start_rps <= max_rps and growth > 1")
    criteria = criteria or Criteria()
    probes: list[PointStats] = []

    async def ok(rate: float) -> bool:
        stats = await probe(rate)
        probes.append(stats)
        return criteria.sustained(stats)

    low, high = 0.0, 0.0
    rate = start_rps
    while True:
        if await ok(rate):
            low = rate
            if rate >= max_rps:
                return Saturation(rate=rate, capped=True, probes=probes)
            rate = min(rate * growth, max_rps)
        else:
            high = rate
            break
    if low == 0.0:
        floor = start_rps / 64
        rate = start_rps / 2
        while rate >= floor:
            if await ok(rate):
                low = rate
                break
            high = rate
            rate /= 2
        if low == 0.0:
            return Saturation(rate=0.0, capped=False, probes=probes)
    for _ in range(refine_steps):
        middle = (low + high) / 2
        if await ok(middle):
            low = middle
        else:
            high = middle
    return Saturation(rate=low, capped=False, probes=probes)


def fraction_rates(saturation_rps: float, fractions: Sequence[float] = FRACTIONS) -> list[float]:
    """The offered rates at ``fractions`` of saturation, rounded to 0.1 req/s.

    Example:
        >>> fraction_rates(200)
        [50.0, 100.0, 150.0, 180.0]
    """
    return [round(saturation_rps * fraction, 1) for fraction in fractions]


def combine(repeats: Sequence[PointStats]) -> dict[str, float | int]:
    """One point from its repeats: the median of each figure, the worst max, summed errors.

    Example:
        >>> a = PointStats(10, 10, 100, 0, 1, 2, 3, 4, 0.1)
        >>> b = PointStats(10, 9, 100, 2, 3, 4, 5, 9, 0.3)
        >>> combine([a, b])["max_ms"], combine([a, b])["errors"], combine([a, b])["p50_ms"]
        (9, 2, 2.0)
    """
    if not repeats:
        raise ValueError("no repeats to combine")

    def median(name: str) -> float:
        return round(statistics.median(float(getattr(r, name)) for r in repeats), 3)

    return {
        "offered_rps": repeats[0].offered_rps,
        "achieved_rps": median("achieved_rps"),
        "sent": sum(r.sent for r in repeats),
        "errors": sum(r.errors for r in repeats),
        "p50_ms": median("p50_ms"),
        "p90_ms": median("p90_ms"),
        "p99_ms": median("p99_ms"),
        "max_ms": max(r.max_ms for r in repeats),
        "lag_p99_ms": median("lag_p99_ms"),
        "repeats": len(repeats),
    }
