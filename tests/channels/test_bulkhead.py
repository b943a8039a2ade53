"""Bulkheads: each system has its own pool, so one saturated system cannot starve another."""

import asyncio

import pytest

from channels import ChannelAnswer, ChannelClient, ChannelConfig, ChannelTimeout, Deadline
from tests.channels.conftest import HELD, OK, wait_until


async def test_saturating_one_clients_pool_does_not_slow_another_client(system) -> None:
    # The slow system holds its answers until the test releases them, so the stores pool stays
    # full for as long as the test needs, whatever the machine's speed: the other client's calls
    # must be answered while it is full. (The stuck calls used to give up after 10 s, a race the
    # other client could lose on a loaded host, and a 10 s wait for every run.)
    system.always("/slow", HELD)
    stores = ChannelConfig(
        name="stores",
        base_url=system.url,
        pool_size=2,
        call_timeout_s=300,
        retries=0,
        breaker_threshold=100,
    )
    oms = ChannelConfig(name="oms", base_url=system.url, pool_size=2, call_timeout_s=30)
    async with ChannelClient(stores) as saturated, ChannelClient(oms) as other:
        deadline = Deadline.after(300)
        stuck = [
            asyncio.ensure_future(saturated.get_json("/slow", deadline=deadline)) for _ in range(6)
        ]
        await wait_until(lambda: system.hits_on("/slow") == 2)  # the stores pool is full

        answers = await asyncio.gather(
            *(other.get_json("/fast", deadline=Deadline.after(30)) for _ in range(4))
        )
        pool_still_full = system.in_flight == 2 and not any(call.done() for call in stuck)
        hits_while_full = system.hits_on("/slow")
        system.released.set()
        stuck_outcomes = await asyncio.gather(*stuck)

    assert all(isinstance(answer, ChannelAnswer) for answer in answers)
    assert pool_still_full, "the other client was answered while the stores pool was full"
    assert hits_while_full == 2, "calls beyond the pool queued unsent"
    assert all(isinstance(outcome, ChannelAnswer) for outcome in stuck_outcomes)


async def test_a_call_queued_for_a_full_pool_past_its_deadline_times_out_unsent(system) -> None:
    system.will("/slow", HELD)  # holds the pool's one connection until released
    system.always("/slow", OK)
    config = ChannelConfig(
        name="stores", base_url=system.url, pool_size=1, call_timeout_s=300, retries=0
    )
    async with ChannelClient(config) as client:
        holding = asyncio.ensure_future(client.get_json("/slow", deadline=Deadline.after(300)))
        await wait_until(lambda: system.hits_on("/slow") == 1)

        with pytest.raises(ChannelTimeout):
            await client.get_json("/slow", deadline=Deadline.after(0.3))
        hits_at_the_deadline = system.hits_on("/slow")
        system.released.set()
        await holding

    assert hits_at_the_deadline == 1, "the queued call was never sent"
