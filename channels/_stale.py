"""The storage seam for stale fallback: what the channels need from a last-good-answer store.

The channels own this Protocol; the gateway hands in the Redis-backed implementation. Nothing here
may import a storage client (Redis, files): the channels never know where stale answers live.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol


@dataclass(frozen=True, slots=True)
class StaleEntry:
    """A last good answer of one call, and when it was fetched.

    Example:
        >>> from datetime import UTC, datetime
        >>> StaleEntry({"points": 120}, datetime(2025, 1, 1, tzinfo=UTC)).data
        {'points': 120}
    """

    data: Any
    as_of: datetime


class StaleStore(Protocol):
    """Keeps the last good answer per ``(channel, key)``.

    Implementations must never raise: a store that cannot load answers ``None`` (a miss) and a store
    that cannot save logs and carries on, so storage trouble never breaks a channel call.

    Example:
        >>> class NoStaleAnswers:
        ...     async def load(self, channel: str, key: str) -> StaleEntry | None:
        ...         return None
        ...     async def save(self, channel: str, key: str, entry: StaleEntry) -> None:
        ...         pass
        ...     async def save_many(self, channel: str, entries: Mapping[str, StaleEntry]) -> None:
        ...         pass
    """

    async def load(self, channel: str, key: str) -> StaleEntry | None:
        """The last good answer saved for ``key`` of ``channel``, or ``None``."""
        ...

    async def save(self, channel: str, key: str, entry: StaleEntry) -> None:
        """Keep ``entry`` as the last good answer for ``key`` of ``channel``."""
        ...

    async def save_many(self, channel: str, entries: Mapping[str, StaleEntry]) -> None:
        """Keep each entry under its key (the per-item copies of one answer, in one go)."""
        ...


@dataclass(frozen=True, slots=True)
class StaleItems:
    """Keep an answer about several items (the prices of SKUs) as one stale copy per item, so a
    later call about another set of those items (a cart with one more line) can still be served
    when the system fails, and only when every item it asks about has a copy.

    ``keys``: each item asked about and its stale key. ``split``: the answer's data as data per
    item asked about, ``None`` for an item the system does not know (so its absence is kept too);
    it raises :class:`channels._parse.UnexpectedPayload` on a body it cannot read, and then nothing
    is kept. ``join``: the answer's data rebuilt from the items' data, ``None`` left out.

    Example:
        >>> items = StaleItems(
        ...     keys={"A": "price:A"},
        ...     split=lambda data: {row["sku"]: row for row in data["prices"]},
        ...     join=lambda rows: {"prices": rows},
        ... )
        >>> items.join([items.split({"prices": [{"sku": "A"}]})["A"]])
        {'prices': [{'sku': 'A'}]}
    """

    keys: Mapping[str, str]
    split: Callable[[Any], Mapping[str, Any]]
    join: Callable[[list[Any]], Any]
