"""The saturation search and the points derived from it, against model servers (pure functions)."""

import pytest

from bench.openloop import PointStats
from bench.saturation import Criteria, combine, find_saturation, fraction_rates


def model_server(capacity: float, base_ms: float = 2.0):
    """A server that answers everything below ``capacity`` req/s and queues past it."""
    offered: list[float] = []

    async def probe(rate: float) -> PointStats:
        offered.append(rate)
        achieved = min(rate, capacity)
        p99 = base_ms if rate <= capacity else 2_000.0
        return PointStats(rate, achieved, 1000, 0, base_ms, base_ms, p99, p99, 0.1)

    return probe, offered


async def test_search_brackets_the_capacity_within_its_resolution():
    probe, offered = model_server(capacity=730)
    found = await find_saturation(probe, start_rps=50, max_rps=10_000, refine_steps=4)
    # Doubling: 50..800 fails at 800; bisecting [400, 800] four times gives 25 req/s resolution.
    assert 700 <= found.rate <= 730
    assert not found.capped
    assert offered[:5] == [50, 100, 200, 400, 800]
    assert len(found.probes) == len(offered)


async def test_search_reports_a_ceiling_it_could_not_break():
    probe, _ = model_server(capacity=1e9)
    found = await find_saturation(probe, start_rps=100, max_rps=1000)
    assert found.capped
    assert found.rate == 1000


async def test_search_goes_below_the_start_rate_when_it_is_already_too_much():
    probe, offered = model_server(capacity=30)
    found = await find_saturation(probe, start_rps=100, max_rps=1000, refine_steps=3)
    assert offered[:3] == [100, 50, 25]
    assert 25 <= found.rate <= 30


async def test_nothing_sustained_gives_zero():
    probe, _ = model_server(capacity=0.001)
    found = await find_saturation(probe, start_rps=64, max_rps=100)
    assert found.rate == 0.0


async def test_errors_make_a_rate_unsustained():
    async def probe(rate: float) -> PointStats:
        errors = 50 if rate > 100 else 0
        return PointStats(rate, rate, 1000, errors, 1, 1, 1, 1, 0)

    found = await find_saturation(probe, start_rps=25, max_rps=1000, refine_steps=5)
    assert 90 <= found.rate <= 100


def test_criteria_compare_achieved_to_offered():
    criteria = Criteria(min_ratio=0.95, p99_limit_ms=100)
    assert criteria.sustained(PointStats(100, 96, 500, 0, 1, 1, 50, 60, 0))
    assert not criteria.sustained(PointStats(100, 90, 500, 0, 1, 1, 50, 60, 0))
    assert not criteria.sustained(PointStats(100, 100, 500, 0, 1, 1, 150, 160, 0))
    assert not criteria.sustained(PointStats(100, 100, 0, 0, 1, 1, 1, 1, 0))


async def test_search_refuses_nonsense_bounds():
    probe, _ = model_server(capacity=10)
    with pytest.raises(ValueError, match="growth"):
        await find_saturation(probe, start_rps=10, max_rps=5)


def test_fraction_points_and_repeats():
    assert fraction_rates(1000) == [250.0, 500.0, 750.0, 900.0]
    runs = [PointStats(50, 49 + n, 100, n, 1 + n, 2, 3 + n, 10 * n, 0) for n in range(3)]
    point = combine(runs)
    assert point["p50_ms"] == 2.0
    assert point["p99_ms"] == 4.0
    assert point["errors"] == 3
    assert point["max_ms"] == 20
    assert point["sent"] == 300
    assert point["repeats"] == 3
