"""One statement for the reads of concurrent requests, once enough statements are running.

Each statement costs Neo4j and the driver a fixed price besides its rows: at 2,000 customers, a
home screen's context statement for one customer costs Neo4j ≈ 1.6 ms of CPU and the driver
≈ 1.2 ms, four customers in one statement ≈ 1.0 and ≈ 0.6 ms each (bench/README.md). A request's
DataLoader already batches its own keys; :class:`SharedReads` batches across requests, without
making anyone wait while there is room: a batch is read at once while fewer than
``max_in_flight`` statements of this reader are running, and otherwise waits, with every other
batch arriving meanwhile, for the first of them to end, then goes out in one statement. Under a
light load nothing changes; under a heavy one the statements grow instead of queueing one by one.

Each request still counts the statement its keys went into (:mod:`graph._round_trips`): the
request whose batch runs it counts it as any statement; a batch that joined another's counts it
itself. The joined statement runs in its own task, outside any request's context.
"""

from __future__ import annotations

import asyncio
import contextvars
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from graph._round_trips import record_round_trip

K = TypeVar("K")
V = TypeVar("V")


@dataclass(frozen=True, slots=True)
class _Waiting(Generic[K, V]):
    keys: Sequence[K]
    answer: asyncio.Future[list[V]]


class SharedReads(Generic[K, V]):
    """``read`` shared by the requests of one process; ``load(keys)`` answers in key order.

    Example:
        >>> reads = SharedReads(lambda requests: contexts(db, requests), max_in_flight=2)
        >>> found = await reads.load(requests)  # doctest: +SKIP
    """

    def __init__(
        self,
        read: Callable[[Sequence[K]], Awaitable[list[V]]],
        max_in_flight: int,
        max_batch: int = 64,
    ) -> None:
        if max_in_flight < 1 or max_batch < 1:
            raise ValueError("max_in_flight and max_batch must be at least 1")
        self._read = read
        self._max_in_flight = max_in_flight
        self._max_batch = max_batch
        self._in_flight = 0
        self._waiting: deque[_Waiting[K, V]] = deque()
        self._joined: set[asyncio.Task[None]] = set()
        # Since start, for the gateway's metrics: statements a batch ran alone, statements run
        # for batches that waited, and how many batches waited.
        self.alone = 0
        self.shared = 0
        self.batches_waited = 0

    @property
    def in_flight(self) -> int:
        """Statements of this reader running now."""
        return self._in_flight

    @property
    def waiting(self) -> int:
        """Batches waiting for a statement to end, to go out together in the next one."""
        return len(self._waiting)

    async def load(self, keys: Sequence[K]) -> list[V]:
        """The values of ``keys``, read now or with the batches waiting alongside."""
        if self._in_flight < self._max_in_flight and not self._waiting:
            self._in_flight += 1
            self.alone += 1
            try:
                return await self._read(keys)
            finally:
                self._ended()
        waiting: _Waiting[K, V] = _Waiting(keys, asyncio.get_running_loop().create_future())
        self._waiting.append(waiting)
        self.batches_waited += 1
        record_round_trip()
        return await waiting.answer

    def _ended(self) -> None:
        self._in_flight -= 1
        while self._waiting and self._in_flight < self._max_in_flight:
            batch = self._take_batch()
            if not batch:
                continue
            self._in_flight += 1
            self.shared += 1
            # A fresh context: the statement belongs to every request in it, so it adds to no
            # request's round trips (each joined batch counted its own) and no request's span.
            task = asyncio.get_running_loop().create_task(
                self._read_joined(batch), context=contextvars.Context()
            )
            self._joined.add(task)
            task.add_done_callback(self._joined.discard)

    def _take_batch(self) -> list[_Waiting[K, V]]:
        """The oldest waiting batches, up to ``max_batch`` keys (always one at least); batches
        whose requests went away are dropped."""
        batch: list[_Waiting[K, V]] = []
        size = 0
        while self._waiting:
            waiting = self._waiting[0]
            if waiting.answer.done():  # cancelled: its request is gone
                self._waiting.popleft()
                continue
            if batch and size + len(waiting.keys) > self._max_batch:
                break
            batch.append(self._waiting.popleft())
            size += len(waiting.keys)
        return batch

    async def _read_joined(self, batch: list[_Waiting[K, V]]) -> None:
        try:
            values = await self._read([key for waiting in batch for key in waiting.keys])
        except asyncio.CancelledError:  # the process is stopping: nobody waits forever
            for waiting in batch:
                waiting.answer.cancel()
            raise
        except Exception as exc:  # every request of the statement gets its failure
            for waiting in batch:
                if not waiting.answer.done():
                    waiting.answer.set_exception(exc)
        else:
            start = 0
            for waiting in batch:
                end = start + len(waiting.keys)
                if not waiting.answer.done():
                    waiting.answer.set_result(values[start:end])
                start = end
        finally:
            self._ended()
