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
    """How many Cypher statements one request sent to Neo4j."""

    count: int = 0


_current: ContextVar[RoundTripCounter | None] = ContextVar("cypher_round_trips", default=None)


@contextmanager
def count_round_trips() -> Iterator[RoundTripCounter]:
    """Count the round trips made inside the ``with`` block (and the tasks it starts)."""
    counter = RoundTripCounter()
    token = _current.set(counter)
    try:
        yield counter
    finally:
        _current.reset(token)


def record_round_trip() -> None:
    counter = _current.get()
    if counter is not None:
        counter.count += 1
