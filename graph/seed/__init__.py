"""The deterministic demo dataset (``parcours seed``): generate it, load it, count it."""

from __future__ import annotations

from graph import co_purchases
from graph.database import GraphDatabase
from graph.seed._interrupted import interrupted_seed, mark_seed_finished, mark_seed_started
from graph.seed.generator import (
    ANCHOR,
    CustomerBatch,
    ReferenceData,
    customer_batches,
    customer_id,
    reference_data,
)
from graph.seed.loader import ProgressCallback, load_customer_batch, load_reference
from graph.seed.parallel import load_in_parallel

__all__ = [
    "ANCHOR",
    "CustomerBatch",
    "ProgressCallback",
    "ReferenceData",
    "after_load",
    "customer_batches",
    "customer_id",
    "interrupted_seed",
    "load_customer_batch",
    "load_reference",
    "mark_seed_finished",
    "mark_seed_started",
    "seed_graph",
]


async def seed_graph(
    db: GraphDatabase,
    customers: int,
    seed: int,
    *,
    progress: ProgressCallback | None = None,
    batch_size: int = 500,
    writers: int = 1,
) -> None:
    """Generate and load ``customers`` customers (and the reference data) for ``seed``.

    With ``writers > 1`` (the scale dataset, issue 7), batches are generated in that many
    worker processes and written by that many concurrent transactions; the graph comes out the
    same, since every customer's rows depend only on ``(seed, index)`` and every write merges.
    Call :func:`after_load` once the customers are in.
    """
    reference = reference_data(seed)
    await load_reference(db, reference)
    if writers <= 1:
        for batch in customer_batches(seed, reference, customers, batch_size):
            await load_customer_batch(db, batch, progress)
        return
    await load_in_parallel(
        db, customers, seed, writers=writers, batch_size=batch_size, progress=progress
    )


async def after_load(
    db: GraphDatabase, progress: co_purchases.RefreshProgress | None = None
) -> int:
    """Derived data every loaded graph needs: the co-purchase table (relationships written)."""
    return await co_purchases.refresh(db, progress)
