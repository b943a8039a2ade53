"""Fan-out: as slow as the slowest healthy call, never the sum, never past the deadline."""

import asyncio
import time

import pytest

from channels import ChannelAnswer, ChannelTimeout, ChannelUnavailable, Deadline, fan_out
from tests.channels.conftest import UNAVAILABLE, Reply


async def test_a_fan_out_takes_the_slowest_healthy_call_and_cuts_the_one_past_the_deadline(
    system, open_client
) -> None:
    system.always("/carts/k-1", Reply(body={"lines": []}, delay_s=0.05))
    system.always("/orders/k-1", Reply(body={"orders": []}, delay_s=0.1))
    system.always("/tickets/k-1", Reply(body={"tickets": []}, delay_s=2))
    client = await open_client(retries=0)
    deadline = Deadline.after(0.3)

    started = time.perf_counter()
    outcomes = await fan_out(
        {
            "cart": client.get_json("/carts/k-1", deadline=deadline),
            "orders": client.get_json("/orders/k-1", deadline=deadline),
            "tickets": client.get_json("/tickets/k-1", deadline=deadline),
        },
        deadline,
    )
    elapsed = time.perf_counter() - started

    assert 0.1 <= elapsed < 0.6
    cart, orders = outcomes["cart"], outcomes["orders"]
    assert isinstance(cart, ChannelAnswer)
    assert cart.data == {"lines": []}
    assert isinstance(orders, ChannelAnswer)
    assert orders.data == {"orders": []}
    assert isinstance(outcomes["tickets"], ChannelTimeout)
    assert outcomes["tickets"].code == "CHANNEL_TIMEOUT"


async def test_a_fan_out_of_healthy_calls_lasts_as_long_as_the_slowest_not_the_sum(
    system, open_client
) -> None:
    for path, delay_s in [("/a", 0.2), ("/b", 0.3), ("/c", 0.4)]:
        system.always(path, Reply(delay_s=delay_s))
    client = await open_client()
    deadline = Deadline.after(2)

    started = time.perf_counter()
    outcomes = await fan_out(
        {path: client.get_json(path, deadline=deadline) for path in ["/a", "/b", "/c"]}, deadline
    )
    elapsed = time.perf_counter() - started

    assert all(isinstance(outcome, ChannelAnswer) for outcome in outcomes.values())
    assert 0.4 <= elapsed < 0.8  # the sum would be 0.9 s


async def test_one_failed_channel_is_its_own_outcome_and_the_others_still_answer(
    system, open_client
) -> None:
    system.always("/carts/k-1", UNAVAILABLE)
    client = await open_client(retries=0)
    deadline = Deadline.after(2)

    outcomes = await fan_out(
        {
            "cart": client.get_json("/carts/k-1", deadline=deadline),
            "orders": client.get_json("/orders/k-1", deadline=deadline),
        },
        deadline,
    )

    assert isinstance(outcomes["cart"], ChannelUnavailable)
    assert isinstance(outcomes["orders"], ChannelAnswer)


async def test_a_call_still_running_at_the_deadline_is_cancelled_and_reported_as_a_timeout() -> (
    None
):
    finished_waiting = asyncio.Event()

    async def ignores_the_deadline() -> ChannelAnswer[object]:
        try:
            await asyncio.sleep(5)
        finally:
            finished_waiting.set()
        raise AssertionError("unreachable")

    started = time.perf_counter()
    outcomes = await fan_out({"stores": ignores_the_deadline()}, Deadline.after(0.2))

    assert time.perf_counter() - started < 1.0
    assert finished_waiting.is_set(), "the straggler was cancelled before fan_out returned"
    assert isinstance(outcomes["stores"], ChannelTimeout)
    assert outcomes["stores"].channel == "stores"


async def test_a_fan_out_with_no_calls_answers_nothing() -> None:
    assert await fan_out({}, Deadline.after(1)) == {}


async def test_a_bug_in_one_call_is_raised_not_hidden_as_an_outage() -> None:
    async def buggy() -> ChannelAnswer[object]:
        raise KeyError("customerId")

    with pytest.raises(KeyError):
        await fan_out({"oms": buggy()}, Deadline.after(1))
