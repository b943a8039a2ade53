"""Bulkheads: each system has its own pool, so one saturated system cannot starve another."""

import asyncio
import time

from channels import ChannelAnswer, ChannelClient, ChannelConfig, ChannelTimeout, Deadline
from tests.channels.conftest import Reply


async def test_saturating_one_clients_pool_does_not_slow_another_client(system) -> None:
    system.always("/slow", Reply(delay_s=1))
    stores = ChannelConfig(
        name="stores",
        base_url=system.url,
        pool_size=2,
        call_timeout_s=0.5,
        retries=0,
        breaker_threshold=100,
    )
    oms = ChannelConfig(name="oms", base_url=system.url, pool_size=2)
    async with ChannelClient(stores) as saturated, ChannelClient(oms) as other:
        deadline = Deadline.after(2)
        stuck = [
            asyncio.ensure_future(saturated.get_json("/slow", deadline=deadline)) for _ in range(6)
        ]
        await asyncio.sleep(0.05)  # the stores pool is now full and its queue is waiting

        started = time.perf_counter()
        answers = await asyncio.gather(
            *(other.get_json("/fast", deadline=Deadline.after(1)) for _ in range(4))
        )
        other_elapsed = time.perf_counter() - started
        stuck_outcomes = await asyncio.gather(*stuck, return_exceptions=True)

    assert all(isinstance(answer, ChannelAnswer) for answer in answers)
    assert other_elapsed < 0.45  # blocked behind the stores pool it would wait >= 0.5 s
    assert all(isinstance(outcome, ChannelTimeout) for outcome in stuck_outcomes)
    assert system.hits_on("/slow") == 2, "calls beyond the pool queued and timed out unsent"
