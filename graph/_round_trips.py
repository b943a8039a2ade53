"""Count Cypher round trips per request, so an N+1 regression shows up in tests and logs.

The gateway opens a counter per request; every query the :class:`GraphDatabase` sends adds one.
A ``ContextVar`` carries it, so DataLoader batches scheduled inside the request are counted too.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass


@dataclass
class RoundTripCounter:
    """How many Cypher statements one request sent to Neo4j.

    ``parent`` counts them too: one operation of a WebSocket connection has its own counter,
    and the connection's still totals every operation it carried.

    Example:
        >>> connection = RoundTripCounter()
        >>> operation = RoundTripCounter(parent=connection)
        >>> operation.add()
        >>> operation.count, connection.count
        (1, 1)
    """

    count: int = 0
    parent: RoundTripCounter | None = None

    def add(self) -> None:
        counter: RoundTripCounter | None = self
        while counter is not None:
            counter.count += 1
            counter = counter.parent


_current: ContextVar[RoundTripCounter | None] = ContextVar("cypher_round_trips", default=None)


@contextmanager
def count_round_trips(counter: RoundTripCounter | None = None) -> Iterator[RoundTripCounter]:
    """Count the round trips made inside the ``with`` block (and the tasks it starts), in
    ``counter`` when given, else in a new one."""
    counter = counter if counter is not None else RoundTripCounter()
    token = _current.set(counter)
    try:
        yield counter
    finally:
        _current.reset(token)


def record_round_trip() -> None:
    counter = _current.get()
    if counter is not None:
        counter.add()
