"""Journey figures computed from one row per journey: conversion by path, switches, time to convert.

Pure functions over ``graph.analytics.JourneyRow``; no I/O and no Strawberry here.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass

from graph.analytics import JourneyRow


@dataclass(frozen=True, slots=True)
class PathConversion:
    path: tuple[str, ...]
    started: int
    converted: int

    @property
    def rate(self) -> float:
        return round(self.converted / self.started, 4) if self.started else 0.0


def conversion_by_path(journeys: Sequence[JourneyRow]) -> list[PathConversion]:
    """Journeys started and converted per channel path, most started first (ties by path)."""
    started: dict[tuple[str, ...], int] = {}
    converted: dict[tuple[str, ...], int] = {}
    for journey in journeys:
        started[journey.path] = started.get(journey.path, 0) + 1
        converted[journey.path] = converted.get(journey.path, 0) + int(journey.converted)
    ordered = sorted(started, key=lambda path: (-started[path], path))
    return [PathConversion(path, started[path], converted[path]) for path in ordered]


def overall_conversion(journeys: Sequence[JourneyRow]) -> PathConversion:
    """Every journey at once (its ``path`` is empty): what the per-path rows add up to."""
    return PathConversion((), len(journeys), sum(int(j.converted) for j in journeys))


def switch_distribution(journeys: Sequence[JourneyRow]) -> dict[int, int]:
    """Journeys by number of channel switches (changes of channel between consecutive steps)."""
    counts: dict[int, int] = {}
    for journey in journeys:
        switches = max(len(journey.path) - 1, 0)
        counts[switches] = counts.get(switches, 0) + 1
    return dict(sorted(counts.items()))


def mean_switches(journeys: Sequence[JourneyRow]) -> float:
    if not journeys:
        return 0.0
    return round(sum(max(len(j.path) - 1, 0) for j in journeys) / len(journeys), 4)


def conversion_seconds(journeys: Sequence[JourneyRow]) -> list[float]:
    """Seconds from start to first purchase step, for converted journeys that have one."""
    return sorted(
        (j.converted_at - j.started_at).total_seconds()
        for j in journeys
        if j.converted and j.converted_at is not None
    )


def median(values: Sequence[float]) -> float | None:
    """The middle value (mean of the two middle ones for an even count); None when empty."""
    return float(statistics.median(values)) if values else None


def nearest_rank(values: Sequence[float], percentile: float) -> float | None:
    """The nearest-rank percentile of sorted ``values``: the ceil(p/100 x n)-th smallest.

    Example:
        >>> nearest_rank([1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0], 90)
        9.0
    """
    if not values:
        return None
    rank = max(math.ceil(percentile / 100 * len(values)), 1)
    return float(values[rank - 1])
