"""The pure parts of the open-model generator: its schedule, its percentiles, its summary, and
the closed loop of its warm-ups."""

import asyncio
import itertools
import math

import pytest

from bench.openloop import Sample, closed_loop, percentile, schedule, summarize


def test_schedule_is_evenly_spaced_at_the_rate():
    offsets = schedule(200, 3)
    assert len(offsets) == 600
    gaps = {round(b - a, 9) for a, b in itertools.pairwise(offsets)}
    assert gaps == {0.005}
    assert offsets[0] == 0.0


def test_schedule_does_not_depend_on_how_fast_anything_answers():
    assert schedule(3, 2) == [0.0, 1 / 3, 2 / 3, 1.0, 4 / 3, 5 / 3]


@pytest.mark.parametrize(("rate", "duration"), [(0, 1), (10, 0), (-1, 5)])
def test_schedule_refuses_empty_runs(rate, duration):
    with pytest.raises(ValueError, match="positive"):
        schedule(rate, duration)


def test_percentile_interpolates_between_order_statistics():
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 0.5) == 50.5
    assert percentile(values, 0.99) == pytest.approx(99.01)
    assert percentile(values, 0.0) == 1.0
    assert percentile(values, 1.0) == 100.0


def test_percentile_ignores_input_order_and_handles_edges():
    assert percentile([9.0, 1.0, 5.0], 0.5) == 5.0
    assert percentile([7.0], 0.99) == 7.0
    assert math.isnan(percentile([], 0.5))
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        percentile([1.0], 1.5)


def test_p99_sees_a_single_slow_request_in_a_hundred():
    values = [1.0] * 98 + [2.0, 500.0]
    assert percentile(values, 0.50) == 1.0
    assert percentile(values, 0.99) == pytest.approx(2.0 + 498 * 0.01)
    assert max(values) == 500.0


def test_summary_counts_errors_and_achieved_rate_from_successes():
    samples = [Sample(latency_ms=float(n), lag_ms=0.1, ok=n % 10 != 0) for n in range(1, 101)]
    stats = summarize(100.0, samples, window_s=2.0)
    assert stats.sent == 100
    assert stats.errors == 10
    assert stats.achieved_rps == 45.0
    assert stats.max_ms == 100.0
    assert stats.p50_ms == 50.5
    assert stats.lag_p99_ms == pytest.approx(0.1)


async def test_closed_loop_keeps_each_client_busy_and_counts_only_answers():
    running, most, indexes = 0, 0, []

    async def send(index: int) -> bool:
        nonlocal running, most
        indexes.append(index)
        running += 1
        most = max(most, running)
        await asyncio.sleep(0.005)
        running -= 1
        return index % 2 == 0

    answered = await closed_loop(send, clients=3, seconds=0.1)
    assert most == 3
    assert sorted(indexes) == list(range(len(indexes)))  # each send its own index
    assert answered == sum(1 for index in indexes if index % 2 == 0)
    assert answered > 0


async def test_a_closed_loop_counts_a_failed_request_as_unanswered_and_goes_on():
    async def send(index: int) -> bool:
        await asyncio.sleep(0)
        if index % 2:
            raise TimeoutError  # what the generator's raw client raises on a slow answer
        return True

    answered = await closed_loop(send, clients=2, seconds=0.05)

    assert answered > 0
