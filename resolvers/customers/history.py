"""A customer's history: the graph's interactions merged with store receipts not yet ingested.

Receipts the stores system holds but the graph has not recorded yet (no webhook received) are shown
as store purchases, deduplicated by the receipt's own event id: its Interaction's id once ingested,
or ``<event id>@store`` when another channel's event held that id (graph.ingest), and that other
channel's event is not the receipt. Items are ordered, and their cursors made, by
``HistoryPosition`` (time, event id, channel), which a receipt keeps once ingested under either
id: a cursor taken before its ingest pages on from the same place after it. A receipt that could
be shown on this page is ingested exactly when the page holds it: the page is every graph item
from the cursor down to its last one, and an ingested receipt is a store purchase, which every
filter that wants receipts keeps. So the receipts on the page cost nothing; only the others cost
one batched statement, which checks whether the graph holds them all the same (a receipt
ingested for another profile) and reads their stores. Only the receipts on the system's first
page (the 50 most recent) are merged, so a deep page may miss a never-ingested old receipt;
ingestion closes that gap.
"""

from __future__ import annotations

import asyncio

import strawberry

from channels.records import Receipt
from graph import models
from graph.history import HistoryRequest, receipt_context
from graph.models import HistoryPage, HistoryPosition
from resolvers.context import Context
from resolvers.customers.channel_views import store_receipts
from resolvers.customers.interaction import Interaction
from resolvers.enums import Channel, InteractionType
from resolvers.pagination import (
    Connection,
    Edge,
    check_first,
    decode_interaction_cursor,
    encode_interaction_cursor,
    page_info,
)

Info = strawberry.Info[Context, None]


def _wants_receipts(channels: list[Channel] | None, types: list[InteractionType] | None) -> bool:
    return (channels is None or Channel.STORE in channels) and (
        types is None or InteractionType.PURCHASE in types
    )


def _position(receipt: Receipt) -> HistoryPosition:
    """Where a receipt sits in history: where its store purchase will, once ingested."""
    return HistoryPosition(receipt.at, receipt.interaction_id, "store")


async def _not_yet_ingested(
    info: Info, receipts: tuple[Receipt, ...], cursor: HistoryPosition | None, page: HistoryPage
) -> list[models.Interaction]:
    """Receipts the graph does not hold (by event id), as store purchases older than ``cursor``
    and, when the graph has more items than the page, not older than its last item."""
    on_page = {item.position.event_id for item in page.items if item.channel == "store"}
    last = page.items[-1].position if page.has_next_page else None
    candidates = [
        r
        for r in receipts
        if (cursor is None or _position(r) < cursor)
        and (last is None or _position(r) >= last)
        and r.interaction_id not in on_page
    ]
    if not candidates:
        return []
    known, stores = await receipt_context(
        info.context.graph,
        [r.interaction_id for r in candidates],
        [r.store_id for r in candidates],
    )
    return [
        models.Interaction(
            id=receipt.interaction_id,
            at=receipt.at,
            type="purchase",
            channel="store",
            product=None,
            store=stores.get(receipt.store_id),
            device_id=None,
            event_id=receipt.interaction_id,
        )
        for receipt in candidates
        if receipt.interaction_id not in known
    ]


async def history_connection(
    info: Info,
    *,
    profile: models.CustomerProfile,
    first: int,
    after: str | None,
    channels: list[Channel] | None,
    types: list[InteractionType] | None,
) -> Connection[Interaction]:
    size = check_first(first, info.context.max_page_size)
    cursor = decode_interaction_cursor(after) if after is not None else None
    request = HistoryRequest(
        customer_id=profile.id,
        first=size,
        after=cursor,
        channels=tuple(c.value for c in channels) if channels is not None else None,
        types=tuple(t.value for t in types) if types is not None else None,
    )
    receipts_wanted = _wants_receipts(channels, types)
    page, receipts = await asyncio.gather(
        info.context.loaders.history.load(request),
        store_receipts(info, profile) if receipts_wanted else asyncio.sleep(0, ()),
    )
    items = list(page.items)
    extra = await _not_yet_ingested(info, receipts, cursor, page) if receipts else []
    merged = sorted(items + extra, key=lambda item: item.position, reverse=True)
    # A receipt newer than the graph's last item may push graph items to the next page.
    shown = (
        merged[:size]
        if not page.has_next_page
        else [item for item in merged if item.position >= items[-1].position][:size]
    )
    edges = [
        Edge(cursor=encode_interaction_cursor(item.position), node=Interaction.from_model(item))
        for item in shown
    ]
    return Connection(
        edges=edges,
        page_info=page_info(edges, page.has_next_page or len(merged) > len(shown), after),
    )
