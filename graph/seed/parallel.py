"""Load a large dataset fast: batches generated in worker processes, written concurrently.

Generation is pure Python (about a millisecond per customer), so it runs in a process pool while
the event loop keeps ``writers`` write transactions in flight. Concurrent transactions only
share reference nodes (products, stores, channels), which they match and never change; the
driver retries the transient lock conflicts relationship creation on those may meet. This module
neither draws progress nor decides sizes: the caller does.
"""

from __future__ import annotations

import asyncio
import multiprocessing
from concurrent.futures import ProcessPoolExecutor

from graph.database import GraphDatabase
from graph.seed.generator import CustomerBatch, customer_batches, reference_data
from graph.seed.loader import ProgressCallback, load_customer_batch


def generate_batch(seed: int, start: int, stop: int) -> CustomerBatch:
    """Customers ``start..stop-1`` of ``seed``'s dataset, in a worker process."""
    batches = list(customer_batches(seed, reference_data(seed), stop, stop - start, start))
    return batches[0]


async def load_in_parallel(
    db: GraphDatabase,
    customers: int,
    seed: int,
    *,
    writers: int,
    batch_size: int,
    progress: ProgressCallback | None = None,
) -> None:
    """Write customers ``0..customers-1`` with ``writers`` generators and concurrent writers."""
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[CustomerBatch | None] = asyncio.Queue(maxsize=2 * writers)
    context = multiprocessing.get_context("spawn")

    async def produce(pool: ProcessPoolExecutor) -> None:
        starts = list(range(0, customers, batch_size))
        pending = [
            loop.run_in_executor(
                pool, generate_batch, seed, start, min(start + batch_size, customers)
            )
            for start in starts[: 2 * writers]
        ]
        for n in range(len(starts)):
            batch = await pending[n]
            following = n + 2 * writers
            if following < len(starts):
                start = starts[following]
                pending.append(
                    loop.run_in_executor(
                        pool, generate_batch, seed, start, min(start + batch_size, customers)
                    )
                )
            await queue.put(batch)
        for _ in range(writers):
            await queue.put(None)

    async def write() -> None:
        while (batch := await queue.get()) is not None:
            await load_customer_batch(db, batch, progress)

    with ProcessPoolExecutor(max_workers=writers, mp_context=context) as pool:
        async with asyncio.TaskGroup() as group:
            group.create_task(produce(pool))
            for _ in range(writers):
                group.create_task(write())
