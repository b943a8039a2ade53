"""SharedReads: concurrent requests' batches read alone while there is room, together beyond it.

The reader here is a function, not Neo4j: what is tested is who waits, which keys go into which
statement, who gets which answer or failure, and who counts the round trip. The gateway's use of
it against the real graph is tested in tests/gateway/test_shared_context_reads.py.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest

from graph import count_round_trips
from graph._round_trips import record_round_trip
from graph.shared_reads import SharedReads


class Reader:
    """Records each statement's keys; each statement waits for ``release`` before answering."""

    def __init__(self) -> None:
        self.statements: list[list[str]] = []
        self.release = asyncio.Event()
        self.fail_with: Exception | None = None

    async def read(self, keys: Sequence[str]) -> list[str]:
        record_round_trip()  # as GraphDatabase.read does
        self.statements.append(list(keys))
        await self.release.wait()
        if self.fail_with is not None:
            raise self.fail_with
        return [key.upper() for key in keys]


async def _turns(n: int = 5) -> None:
    for _ in range(n):
        await asyncio.sleep(0)


async def _counted(reads: SharedReads[str, str], keys: list[str]) -> tuple[list[str], int]:
    """One request: its answer and the round trips it counted."""
    with count_round_trips() as counter:
        found = await reads.load(keys)
    return found, counter.count


async def test_under_the_limit_each_batch_is_its_own_statement_at_once() -> None:
    reader = Reader()
    reads = SharedReads(reader.read, max_in_flight=2)
    first = asyncio.ensure_future(reads.load(["a"]))
    second = asyncio.ensure_future(reads.load(["b", "c"]))
    await _turns()
    assert reader.statements == [["a"], ["b", "c"]]  # both sent, neither waited for the other
    assert reads.in_flight == 2
    reader.release.set()
    assert await first == ["A"]
    assert await second == ["B", "C"]
    assert reads.in_flight == 0


async def test_beyond_the_limit_waiting_batches_share_the_next_statement() -> None:
    reader = Reader()
    reads = SharedReads(reader.read, max_in_flight=1)
    running = asyncio.ensure_future(_counted(reads, ["a"]))
    await _turns()
    joined = [asyncio.ensure_future(_counted(reads, keys)) for keys in (["b"], ["c", "d"], ["e"])]
    await _turns()
    assert reader.statements == [["a"]]  # the three wait for the running statement
    reader.release.set()
    results = await asyncio.gather(running, *joined)
    assert reader.statements == [["a"], ["b", "c", "d", "e"]]
    # Each request gets its own keys' values, and counts one round trip.
    assert results == [(["A"], 1), (["B"], 1), (["C", "D"], 1), (["E"], 1)]
    assert reads.in_flight == 0


async def test_a_shared_statement_holds_at_most_max_batch_keys() -> None:
    reader = Reader()
    reads = SharedReads(reader.read, max_in_flight=1, max_batch=3)
    running = asyncio.ensure_future(reads.load(["a"]))
    await _turns()
    waiting = [asyncio.ensure_future(reads.load(keys)) for keys in (["b", "c"], ["d"], ["e"])]
    await _turns()
    reader.release.set()
    assert await asyncio.gather(running, *waiting) == [["A"], ["B", "C"], ["D"], ["E"]]
    assert reader.statements == [["a"], ["b", "c", "d"], ["e"]]


async def test_a_failed_shared_statement_fails_each_of_its_requests_and_frees_its_place() -> None:
    reader = Reader()
    reads = SharedReads(reader.read, max_in_flight=1)
    running = asyncio.ensure_future(reads.load(["a"]))
    await _turns()
    waiting = [asyncio.ensure_future(reads.load([key])) for key in ("b", "c")]
    await _turns()
    reader.fail_with = RuntimeError("Neo4j went away")
    reader.release.set()
    for request in (running, *waiting):
        with pytest.raises(RuntimeError, match="Neo4j went away"):
            await request
    assert reads.in_flight == 0
    reader.fail_with = None
    assert await reads.load(["d"]) == ["D"]  # the next request reads at once


async def test_a_request_gone_while_waiting_is_left_out_of_the_statement() -> None:
    reader = Reader()
    reads = SharedReads(reader.read, max_in_flight=1)
    running = asyncio.ensure_future(reads.load(["a"]))
    await _turns()
    gone = asyncio.ensure_future(reads.load(["b"]))
    staying = asyncio.ensure_future(reads.load(["c"]))
    await _turns()
    gone.cancel()
    await _turns()
    reader.release.set()
    assert await running == ["A"]
    assert await staying == ["C"]
    assert gone.cancelled()
    assert reader.statements == [["a"], ["c"]]


def test_a_reader_needs_room_for_one_statement_of_one_key() -> None:
    async def read(keys: Sequence[str]) -> list[str]:
        return list(keys)

    with pytest.raises(ValueError, match="at least 1"):
        SharedReads(read, max_in_flight=0)
    with pytest.raises(ValueError, match="at least 1"):
        SharedReads(read, max_in_flight=1, max_batch=0)
