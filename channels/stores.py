"""The stores (POS) client: per-store stock, in-store receipts and clienteling notes."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from urllib.parse import quote

from channels._answer import ChannelAnswer
from channels._client import ChannelClient
from channels._deadline import Deadline
from channels._parse import as_dict, as_list, timestamp
from channels._stale import StaleItems
from channels.records import ClienteleNote, Page, Receipt, StockLevel

MAX_SKUS_PER_CALL = 100  # what the store system answers in one stock call (more: 400)
MAX_NOTES_PER_CALL = 100  # the most notes the store system gives when asked for a `limit`


def _stock_by_sku(data: Any) -> dict[str, dict[str, Any]]:
    body = as_dict(data, "stock")
    rows = (as_dict(item, "stock item") for item in as_list(body.get("stock"), "stock"))
    return {str(row["sku"]): row for row in rows}


class StoresClient:
    """Read stock, receipts and clienteling notes from the store system.

    Example:
        >>> async def on_hand(pos: StoresClient, store: str, sku: str) -> int:
        ...     answer = await pos.stock(store, [sku], deadline=Deadline.after(0.8))
        ...     return answer.data[sku].on_hand
    """

    def __init__(self, client: ChannelClient) -> None:
        self.client = client

    async def stock(
        self, store_id: str, skus: Sequence[str], *, deadline: Deadline
    ) -> ChannelAnswer[dict[str, StockLevel]]:
        unique = sorted(set(skus))
        if len(unique) > MAX_SKUS_PER_CALL:  # never cut silently: the caller splits its batch
            raise ValueError(f"at most {MAX_SKUS_PER_CALL} SKUs per call, {len(unique)} given")
        wanted = ",".join(unique)
        return await self.client.get_json(
            f"/pos/stores/{quote(store_id, safe='')}/stock",
            {"skus": wanted},
            deadline=deadline,
            stale_items=StaleItems(
                keys={sku: f"stock-sku:{store_id}:{sku}" for sku in unique},
                split=lambda data: dict.fromkeys(unique) | _stock_by_sku(data),
                join=lambda rows: {"stock": rows},
            ),
            parse=lambda data: {
                sku: StockLevel(store_id=store_id, sku=sku, on_hand=int(row["onHand"]))
                for sku, row in _stock_by_sku(data).items()
            },
        )

    async def receipts(
        self, pos_number: str, page_size: int, *, deadline: Deadline, stale_fallback: bool = True
    ) -> ChannelAnswer[tuple[Receipt, ...]]:
        """The customer's most recent receipts (first page, newest first). Without
        ``stale_fallback`` the answer is neither kept nor replaced by a kept one."""
        answer = await self.receipts_page(
            pos_number, 1, page_size, deadline=deadline, stale_fallback=stale_fallback
        )
        return answer.with_data(answer.data.items)

    async def receipts_page(
        self,
        pos_number: str,
        page: int,
        page_size: int,
        *,
        deadline: Deadline,
        stale_fallback: bool = True,
    ) -> ChannelAnswer[Page[Receipt]]:
        """One page of the customer's receipts (newest first), with how many there are."""
        # The first page keeps the key it had before other pages could be asked.
        key = f"receipts:{pos_number}:{page_size}" + (f":{page}" if page > 1 else "")
        return await self.client.get_json(
            f"/pos/customers/{quote(pos_number, safe='')}/receipts",
            {"page": str(page), "pageSize": str(page_size)},
            deadline=deadline,
            stale_key=key if stale_fallback else None,
            parse=_receipts_page,
        )

    async def notes(
        self,
        pos_number: str,
        *,
        deadline: Deadline,
        limit: int | None = None,
        stale_fallback: bool = True,
    ) -> ChannelAnswer[tuple[ClienteleNote, ...]]:
        """The assistants' notes about the customer, newest first: the ``limit`` newest (1 to
        ``MAX_NOTES_PER_CALL``), or every one without it (``stale_fallback``: as for
        :meth:`receipts`)."""
        if limit is not None and not 1 <= limit <= MAX_NOTES_PER_CALL:
            raise ValueError(f"between 1 and {MAX_NOTES_PER_CALL} notes, {limit} asked")
        # A limited answer keeps a key of its own: it must never stand in for the whole list.
        key = f"notes:{pos_number}" + (f":{limit}" if limit is not None else "")
        return await self.client.get_json(
            f"/pos/customers/{quote(pos_number, safe='')}/notes",
            {"limit": str(limit)} if limit is not None else None,
            deadline=deadline,
            stale_key=key if stale_fallback else None,
            parse=_notes,
        )


def _receipts_page(data: Any) -> Page[Receipt]:
    body = as_dict(data, "receipts")
    receipts = tuple(
        Receipt(
            id=str(row["receiptId"]),
            store_id=str(row["storeId"]),
            at=timestamp(row["at"], "receipt.at"),
            skus=tuple(str(line["sku"]) for line in as_list(row.get("lines", []), "lines")),
            total=float(row.get("total", 0.0)),
            event_id=str(row["eventId"]) if row.get("eventId") else None,
        )
        for row in (as_dict(item, "receipt") for item in as_list(body["items"], "items"))
    )
    return Page(items=receipts, total=int(body.get("total", len(receipts))))


def _notes(data: Any) -> tuple[ClienteleNote, ...]:
    body = as_dict(data, "notes")
    return tuple(
        ClienteleNote(
            id=str(row["noteId"]),
            store_id=str(row["storeId"]),
            author=str(row["author"]),
            at=timestamp(row["at"], "note.at"),
            text=str(row["text"]),
        )
        for row in (as_dict(item, "note") for item in as_list(body["notes"], "notes"))
    )
