"""Bulkheads: each system has its own pool, so one saturated system cannot starve another."""

import asyncio

from channels import ChannelAnswer, ChannelClient, ChannelConfig, ChannelTimeout, Deadline
from tests.channels.conftest import HELD, wait_until

_STUCK_FOR_S = 10


async def test_saturating_one_clients_pool_does_not_slow_another_client(system) -> None:
    # The slow system never answers, so the stores pool stays full for as long as the test needs:
    # the other client's calls must be answered while it is full, whatever the machine's speed.
    # The stuck calls give up after 10 s: with 3 s, a machine loaded by other work once answered
    # the other client only after the stores pool had emptied.
    system.always("/slow", HELD)
    stores = ChannelConfig(
        name="stores",
        base_url=system.url,
        pool_size=2,
        call_timeout_s=_STUCK_FOR_S,
        retries=0,
        breaker_threshold=100,
    )
    oms = ChannelConfig(name="oms", base_url=system.url, pool_size=2)
    async with ChannelClient(stores) as saturated, ChannelClient(oms) as other:
        deadline = Deadline.after(_STUCK_FOR_S)
        stuck = [
            asyncio.ensure_future(saturated.get_json("/slow", deadline=deadline)) for _ in range(6)
        ]
        await wait_until(lambda: system.hits_on("/slow") == 2)  # the stores pool is full

        answers = await asyncio.gather(
            *(other.get_json("/fast", deadline=Deadline.after(30)) for _ in range(4))
        )
        pool_still_full = system.in_flight == 2 and not any(call.done() for call in stuck)
        stuck_outcomes = await asyncio.gather(*stuck, return_exceptions=True)

    assert all(isinstance(answer, ChannelAnswer) for answer in answers)
    assert pool_still_full, "the other client was answered while the stores pool was full"
    assert all(isinstance(outcome, ChannelTimeout) for outcome in stuck_outcomes)
    assert system.hits_on("/slow") == 2, "calls beyond the pool queued and timed out unsent"
