"""DataLoaders of the stitching audit trail: one statement per batch of customers."""

from __future__ import annotations

from collections.abc import Sequence

from strawberry.dataloader import DataLoader

from graph import GraphDatabase, identity_records
from graph.identity_records import IdentityConflict, MergeRecord


class IdentityLoaders:
    """Conflicts and merges per customer id, batched per request."""

    def __init__(self, graph: GraphDatabase) -> None:
        async def conflicts(ids: Sequence[str]) -> list[list[IdentityConflict]]:
            return await identity_records.conflicts_by_customers(graph, ids)

        async def merges(ids: Sequence[str]) -> list[list[MergeRecord]]:
            return await identity_records.merges_by_customers(graph, ids)

        self.conflicts = DataLoader(load_fn=conflicts)
        self.merges = DataLoader(load_fn=merges)
