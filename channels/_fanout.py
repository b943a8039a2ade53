"""Ask several channel systems at once and take what arrives before the request's deadline.

One system's failure is that system's outcome, never the whole fan-out's: this module must never
raise for a :class:`ChannelError`, and never waits past the deadline (stragglers are cancelled).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Mapping
from typing import Any, TypeAlias

from channels._answer import ChannelAnswer
from channels._deadline import Deadline
from channels._errors import ChannelError, ChannelTimeout

ChannelOutcome: TypeAlias = ChannelAnswer[Any] | ChannelError


async def fan_out(
    calls: Mapping[str, Awaitable[ChannelAnswer[Any]]], deadline: Deadline
) -> dict[str, ChannelOutcome]:
    """Run ``calls`` concurrently; map each key to its answer or to the error it ended in.

    The fan-out takes as long as its slowest call, at most until ``deadline``; a call still running
    then is cancelled and reported as a :class:`ChannelTimeout` whose ``channel`` is its key.
    Errors that are not channel errors are bugs, not outages: the first is raised once every call
    has settled.

    Example:
        >>> async def context(webshop: Any, oms: Any, customer: str) -> dict[str, ChannelOutcome]:
        ...     deadline = Deadline.after(0.5)
        ...     return await fan_out(
        ...         {
        ...             "cart": webshop.get_json(f"/carts/{customer}", deadline=deadline),
        ...             "orders": oms.get_json(f"/orders/{customer}", deadline=deadline),
        ...         },
        ...         deadline,
        ...     )
    """
    tasks = {key: asyncio.ensure_future(call) for key, call in calls.items()}
    try:
        if tasks:
            await asyncio.wait(tasks.values(), timeout=deadline.remaining())
    finally:
        for task in tasks.values():
            task.cancel()  # a no-op for the calls that are done
        # Wait for the cancelled to unwind; gathering all also marks every error as seen, so none
        # is reported "never retrieved" when the fan-out itself is cancelled.
        await asyncio.gather(*tasks.values(), return_exceptions=True)
    outcomes: dict[str, ChannelOutcome] = {}
    bugs: list[BaseException] = []
    for key, task in tasks.items():
        if task.cancelled():
            outcomes[key] = ChannelTimeout(
                key, "still running at the request's deadline, cancelled", cut_by_deadline=True
            )
        elif (exc := task.exception()) is None:
            outcomes[key] = task.result()
        elif isinstance(exc, ChannelError):
            outcomes[key] = exc
        else:
            bugs.append(exc)
    if bugs:
        raise bugs[0]
    return outcomes
