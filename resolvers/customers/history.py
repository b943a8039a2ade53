"""A customer's history: the graph's interactions merged with store receipts not yet ingested.

Receipts the stores system holds but the graph has not recorded yet (no webhook received) are shown
as store purchases, deduplicated by the receipt's own event id: its Interaction's id once ingested,
or ``<event id>@store`` when another channel's event held that id (graph.ingest), and that other
channel's event is not the receipt. A receipt that could be shown on this page is ingested exactly
when the page holds it: the page is every graph item from the cursor down to its last one, and an
ingested receipt is a store purchase, which every filter that wants receipts keeps. So the receipts
on the page cost nothing; only the others cost one batched statement, which checks whether the
graph holds them all the same (a receipt ingested for another profile) and reads their stores. Only
the receipts on the system's first page (the 50 most recent) are merged, so a deep page may miss a
never-ingested old receipt; ingestion closes that gap.
"""

from __future__ import annotations

import asyncio

import strawberry

from channels.records import Receipt
from graph import models
from graph.history import HistoryRequest, receipt_context
from graph.models import HistoryCursor, HistoryPage
from resolvers.context import Context
from resolvers.customers.channel_views import store_receipts
from resolvers.customers.interaction import Interaction
from resolvers.enums import Channel, InteractionType
from resolvers.pagination import (
    Connection,
    Edge,
    check_first,
    decode_history_cursor,
    encode_history_cursor,
    page_info,
)

Info = strawberry.Info[Context, None]
STORE_CLASH_SUFFIX = "@store"  # graph.ingest's node id for a store event whose id was taken


def _wants_receipts(channels: list[Channel] | None, types: list[InteractionType] | None) -> bool:
    return (channels is None or Channel.STORE in channels) and (
        types is None or InteractionType.PURCHASE in types
    )


def _store_event_id(item: models.Interaction) -> str:
    """The event id of a store interaction: its node id without the ``@store`` that ingest adds
    when another channel's event held the id (a digest id is checked in the graph instead)."""
    return item.id.removesuffix(STORE_CLASH_SUFFIX)


async def _not_yet_ingested(
    info: Info, receipts: tuple[Receipt, ...], cursor: HistoryCursor | None, page: HistoryPage
) -> list[models.Interaction]:
    """Receipts the graph does not hold (by event id), as store purchases older than ``cursor``
    and, when the graph has more items than the page, not older than its last item."""
    on_page = {_store_event_id(item) for item in page.items if item.channel == "store"}
    last = (page.items[-1].at, page.items[-1].id) if page.has_next_page else None
    candidates = [
        r
        for r in receipts
        if (cursor is None or (r.at, r.interaction_id) < (cursor.at, cursor.id))
        and (last is None or (r.at, r.interaction_id) >= last)
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
    cursor = decode_history_cursor(after) if after is not None else None
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
    merged = sorted(items + extra, key=lambda item: (item.at, item.id), reverse=True)
    # A receipt newer than the graph's last item may push graph items to the next page.
    shown = (
        merged[:size]
        if not page.has_next_page
        else [item for item in merged if (item.at, item.id) >= (items[-1].at, items[-1].id)][:size]
    )
    edges = [
        Edge(cursor=encode_history_cursor(item.at, item.id), node=Interaction.from_model(item))
        for item in shown
    ]
    return Connection(
        edges=edges,
        page_info=page_info(edges, page.has_next_page or len(merged) > len(shown), after),
    )
