"""DataLoaders of live channel data: one system call per batch, under one shared deadline."""

from __future__ import annotations

import asyncio
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from typing import TypeVar

from strawberry.dataloader import DataLoader

from channels import (
    ChannelAnswer,
    ChannelNotFound,
    ChannelSystems,
    Deadline,
    mobile,
    oms,
    stores,
    webshop,
)
from channels.records import (
    Availability,
    ClienteleNote,
    DeviceRegistration,
    Order,
    Page,
    Price,
    Receipt,
    StockLevel,
    Ticket,
)
from resolvers.live.sources import SourceLog

T = TypeVar("T")
# A journey hand-off shows the newest assistants' notes, this many at most: a regular's notes
# grow with every visit, and the store system is asked for no more than these.
MAX_ASSISTANT_NOTES = 20


class ChannelBudget:
    """The request's time budget for channel calls, started by its first call.

    Starting at the first call (not at the request's arrival) keeps a slow graph read from
    consuming the systems' budget; every later call of the request shares the same deadline.

    Example:
        >>> budget = ChannelBudget(0.8)
        >>> budget.deadline() is budget.deadline()
        True
    """

    def __init__(self, budget_s: float) -> None:
        self.budget_s = budget_s
        self._deadline: Deadline | None = None

    def deadline(self) -> Deadline:
        if self._deadline is None:
            self._deadline = Deadline.after(self.budget_s)
        return self._deadline


K = TypeVar("K")
Outcomes = list[ChannelAnswer[T] | BaseException]
# A customer's identities of the kind (every one, sorted: one key per customer), then the page.
OrdersKey = tuple[tuple[str, ...], int, int]  # emails, page, page size
TicketsKey = tuple[tuple[str, ...], str | None, int, int]  # contact-centre ids, status, page, size


class LiveLoaders:
    """The request's loaders of channel data; each batch is one call to one system."""

    def __init__(self, systems: ChannelSystems, budget: ChannelBudget, sources: SourceLog) -> None:
        self.budget = budget

        async def prices(skus: Sequence[str]) -> list[ChannelAnswer[Price | None]]:
            answer = await sources.observe(systems.webshop.prices(skus, deadline=budget.deadline()))
            return [answer.with_data(answer.data.get(sku)) for sku in skus]

        async def availability(skus: Sequence[str]) -> list[ChannelAnswer[Availability | None]]:
            answer = await sources.observe(
                systems.oms.availability(skus, deadline=budget.deadline())
            )
            return [answer.with_data(answer.data.get(sku)) for sku in skus]

        async def stock(
            keys: Sequence[tuple[str, str]],
        ) -> list[ChannelAnswer[StockLevel | None] | BaseException]:
            # One call per store (and per 100 SKUs of a store), all at once: a query asking
            # several stores waits for the slowest, not for the sum of them.
            by_store: dict[str, list[str]] = defaultdict(list)
            for store_id, sku in keys:
                if sku not in by_store[store_id]:
                    by_store[store_id].append(sku)
            calls = [
                (store_id, skus[start : start + stores.MAX_SKUS_PER_CALL])
                for store_id, skus in by_store.items()
                for start in range(0, len(skus), stores.MAX_SKUS_PER_CALL)
            ]
            outcomes = await asyncio.gather(
                *(
                    sources.observe(
                        systems.stores.stock(store_id, skus, deadline=budget.deadline())
                    )
                    for store_id, skus in calls
                ),
                return_exceptions=True,
            )
            answers: dict[tuple[str, str], ChannelAnswer[dict[str, StockLevel]] | BaseException]
            answers = {
                (store_id, sku): outcome
                for (store_id, skus), outcome in zip(calls, outcomes, strict=True)
                for sku in skus
            }
            results: list[ChannelAnswer[StockLevel | None] | BaseException] = []
            for key in keys:
                outcome = answers[key]
                results.append(
                    outcome
                    if isinstance(outcome, BaseException)
                    else outcome.with_data(outcome.data.get(key[1]))
                )
            return results

        async def orders(keys: Sequence[OrdersKey]) -> Outcomes[Page[Order]]:
            return await _each(
                keys,
                lambda key: sources.observe(
                    systems.oms.orders_of(key[0], key[1], key[2], deadline=budget.deadline())
                ),
            )

        async def tickets(keys: Sequence[TicketsKey]) -> Outcomes[Page[Ticket]]:
            return await _each(
                keys,
                lambda key: sources.observe(
                    _none_held(
                        systems.contact.tickets_of(
                            key[0], key[2], key[3], status=key[1], deadline=budget.deadline()
                        ),
                        Page(items=(), total=0),
                    )
                ),
            )

        async def receipts(pos_numbers: Sequence[str]) -> Outcomes[tuple[Receipt, ...]]:
            return await _each(
                pos_numbers,
                lambda pos: sources.observe(
                    _none_held(systems.stores.receipts(pos, 50, deadline=budget.deadline()), ())
                ),
            )

        async def devices(
            install_ids: Sequence[str],
        ) -> list[ChannelAnswer[tuple[DeviceRegistration, ...]]]:
            answer = await sources.observe(
                systems.mobile.devices_of(install_ids, deadline=budget.deadline())
            )
            return [answer.with_data(answer.data.get(install, ())) for install in install_ids]

        async def notes(pos_numbers: Sequence[str]) -> Outcomes[tuple[ClienteleNote, ...]]:
            return await _each(
                pos_numbers,
                lambda pos: sources.observe(
                    _none_held(
                        systems.stores.notes(
                            pos, deadline=budget.deadline(), limit=MAX_ASSISTANT_NOTES
                        ),
                        (),
                    )
                ),
            )

        # A batch never asks a system for more than it answers in one call.
        self.price = DataLoader(load_fn=prices, max_batch_size=webshop.MAX_SKUS_PER_CALL)
        self.availability = DataLoader(load_fn=availability, max_batch_size=oms.MAX_SKUS_PER_CALL)
        self.stock = DataLoader(load_fn=stock)
        self.orders = DataLoader(load_fn=orders)
        self.tickets = DataLoader(load_fn=tickets)
        self.receipts = DataLoader(load_fn=receipts)
        self.devices = DataLoader(load_fn=devices, max_batch_size=mobile.MAX_INSTALLS_PER_CALL)
        self.notes = DataLoader(load_fn=notes)


async def _none_held(pending: Awaitable[ChannelAnswer[T]], nothing: T) -> ChannelAnswer[T]:
    """The system's answer; its 404 for the customer's key (an id it does not know yet, such as
    one linked since) is its answer too: it holds ``nothing`` about them, which is no outage."""
    started = time.perf_counter()
    try:
        return await pending
    except ChannelNotFound as exc:
        latency_ms = (time.perf_counter() - started) * 1000
        return ChannelAnswer(nothing, exc.channel, False, datetime.now(UTC), latency_ms)


async def _each(keys: Sequence[K], call: Callable[[K], Awaitable[ChannelAnswer[T]]]) -> Outcomes[T]:
    """One call per key, all at once; each key gets its answer or its own error.

    A batch of one key (a request's customer: the usual case) is called in the batch's own task:
    through ``gather`` its call waited for a task of its own, one loop turn after the other
    systems' calls, with whatever else was ready on the loop running in between.
    """
    if len(keys) == 1:
        try:
            return [await call(keys[0])]
        except Exception as exc:  # as gather(return_exceptions=True) hands it to the key
            return [exc]
    results = await asyncio.gather(*(call(key) for key in keys), return_exceptions=True)
    return list(results)
