"""Fan-out: calls run at once, it waits for the slowest healthy one, never past the deadline."""

import asyncio
import time

import pytest

from channels import ChannelAnswer, ChannelTimeout, ChannelUnavailable, Deadline, fan_out
from tests.channels.conftest import HELD, UNAVAILABLE, Reply, wait_until


async def test_a_fan_out_takes_the_slowest_healthy_call_and_cuts_the_one_past_the_deadline(
    system, open_client
) -> None:
    system.always("/carts/k-1", Reply(body={"lines": []}, delay_s=0.05))
    system.always("/orders/k-1", Reply(body={"orders": []}, delay_s=0.1))
    system.always("/tickets/k-1", HELD)  # never answers: only the deadline can end the fan-out
    client = await open_client(retries=0, call_timeout_s=30)
    deadline = Deadline.after(3)  # ample for the healthy calls even on a loaded machine

    started = time.perf_counter()
    async with asyncio.timeout(30):
        outcomes = await fan_out(
            {
                "cart": client.get_json("/carts/k-1", deadline=deadline),
                "orders": client.get_json("/orders/k-1", deadline=deadline),
                "tickets": client.get_json("/tickets/k-1", deadline=deadline),
            },
            deadline,
        )

    assert time.perf_counter() - started >= 0.1, "it waited for the slowest healthy call"
    cart, orders = outcomes["cart"], outcomes["orders"]
    assert isinstance(cart, ChannelAnswer)
    assert cart.data == {"lines": []}
    assert isinstance(orders, ChannelAnswer)
    assert orders.data == {"orders": []}
    assert isinstance(outcomes["tickets"], ChannelTimeout)
    assert outcomes["tickets"].code == "CHANNEL_TIMEOUT"
    assert outcomes["tickets"].cut_by_deadline


async def test_a_fan_out_of_healthy_calls_runs_them_all_at_once_not_one_after_another(
    system, open_client
) -> None:
    # Each system holds its answer until all three calls have arrived: called one after another,
    # the first would never be answered and the fan-out would never finish.
    for path in ["/a", "/b", "/c"]:
        system.always(path, HELD)
    client = await open_client(call_timeout_s=30)
    deadline = Deadline.after(30)

    fanning = asyncio.ensure_future(
        fan_out(
            {path: client.get_json(path, deadline=deadline) for path in ["/a", "/b", "/c"]},
            deadline,
        )
    )
    await wait_until(lambda: system.in_flight == 3 or fanning.done())
    assert not fanning.done(), "no call had an answer yet, so the fan-out cannot be over"
    system.released.set()
    outcomes = await fanning

    assert all(isinstance(outcome, ChannelAnswer) for outcome in outcomes.values())
    assert [system.hits_on(path) for path in ["/a", "/b", "/c"]] == [1, 1, 1]


async def test_one_failed_channel_is_its_own_outcome_and_the_others_still_answer(
    system, open_client
) -> None:
    system.always("/carts/k-1", UNAVAILABLE)
    client = await open_client(retries=0)
    deadline = Deadline.after(30)

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
    cancelled = asyncio.Event()

    async def ignores_the_deadline() -> ChannelAnswer[object]:
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            cancelled.set()
            raise
        raise AssertionError("unreachable")

    async with asyncio.timeout(30):  # the straggler would sleep an hour if not cancelled
        outcomes = await fan_out({"stores": ignores_the_deadline()}, Deadline.after(0.2))

    assert cancelled.is_set(), "the straggler was cancelled before fan_out returned"
    assert isinstance(outcomes["stores"], ChannelTimeout)
    assert outcomes["stores"].channel == "stores"


async def test_a_fan_out_with_no_calls_answers_nothing() -> None:
    assert await fan_out({}, Deadline.after(1)) == {}


async def test_a_bug_in_one_call_is_raised_not_hidden_as_an_outage() -> None:
    async def buggy() -> ChannelAnswer[object]:
        raise KeyError("customerId")

    with pytest.raises(KeyError):
        await fan_out({"oms": buggy()}, Deadline.after(1))
