"""DataLoaders of the stitching audit trail: one statement per batch of customers."""

from __future__ import annotations

from collections.abc import Sequence

from strawberry.dataloader import DataLoader

from graph import GraphDatabase, identity_records
from graph.identity_records import IdentityConflict, MergeRecord, PageRequest, RecordPage


class IdentityLoaders:
    """Pages of conflicts and merges per customer, batched per request."""

    def __init__(self, graph: GraphDatabase) -> None:
        async def conflicts(
            requests: Sequence[PageRequest],
        ) -> list[RecordPage[IdentityConflict]]:
            return await identity_records.conflicts_by_customers(graph, requests)

        async def merges(requests: Sequence[PageRequest]) -> list[RecordPage[MergeRecord]]:
            return await identity_records.merges_by_customers(graph, requests)

        self.conflicts = DataLoader(load_fn=conflicts)
        self.merges = DataLoader(load_fn=merges)
