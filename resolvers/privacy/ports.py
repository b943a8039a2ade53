"""What erasure needs from the gateway's caches, as a Protocol (resolvers never import Redis)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol


class CachePurge(Protocol):
    async def purge(self, customer_id: str, identifiers: Sequence[tuple[str, str]]) -> int:
        """Delete every cache entry for the customer and for each (kind, value); the count
        deleted. Raises when the cache cannot be reached: an erasure must not pretend."""
