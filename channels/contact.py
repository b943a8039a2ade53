"""The contact-centre client: a customer's tickets (one list over all their contact-centre ids)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from channels._answer import ChannelAnswer
from channels._client import ChannelClient
from channels._deadline import Deadline
from channels._parse import as_dict, as_list, timestamp
from channels.records import Page, Ticket

# The contact centre answers the tickets of at most this many customer ids per call.
MAX_CUSTOMERS_PER_CALL = 20
# ...in pages of at most this many tickets (a 400 beyond).
MAX_PAGE_SIZE = 100


class ContactClient:
    """Read tickets from the contact centre.

    Example:
        >>> async def open_count(cc: ContactClient, cc_id: str) -> int:
        ...     answer = await cc.tickets(cc_id, 1, 20, deadline=Deadline.after(0.8))
        ...     return answer.data.total
    """

    def __init__(self, client: ChannelClient) -> None:
        self.client = client

    async def tickets(
        self,
        cc_id: str,
        page: int,
        page_size: int,
        *,
        status: str | None = None,
        deadline: Deadline,
        stale_fallback: bool = True,
    ) -> ChannelAnswer[Page[Ticket]]:
        """One page of the tickets of one contact-centre id (404 for an unknown one)."""
        return await self.tickets_of(
            [cc_id],
            page,
            page_size,
            status=status,
            deadline=deadline,
            stale_fallback=stale_fallback,
        )

    async def tickets_of(
        self,
        cc_ids: Sequence[str],
        page: int,
        page_size: int,
        *,
        status: str | None = None,
        deadline: Deadline,
        stale_fallback: bool = True,
    ) -> ChannelAnswer[Page[Ticket]]:
        """One page of the tickets of several contact-centre ids as one list (most recently
        opened first), in one call; a 404 only when none of the ids is known. Without
        ``stale_fallback`` the answer is neither kept nor replaced by a kept one."""
        wanted = sorted(set(cc_ids))
        if not 1 <= len(wanted) <= MAX_CUSTOMERS_PER_CALL:  # the contact centre answers 400
            raise ValueError(f"between 1 and {MAX_CUSTOMERS_PER_CALL} customer ids per call")
        if not 1 <= page_size <= MAX_PAGE_SIZE:  # the contact centre answers 400
            raise ValueError(f"between 1 and {MAX_PAGE_SIZE} tickets per page, {page_size} given")
        keys = ",".join(wanted)
        params = {"customerIds": keys, "page": str(page), "pageSize": str(page_size)}
        if status:
            params["status"] = status
        return await self.client.get_json(
            "/cc/v2/tickets",
            params,
            deadline=deadline,
            # One id keeps the key it had before several could be asked.
            stale_key=f"tickets:{keys}:{status or ''}:{page}:{page_size}"
            if stale_fallback
            else None,
            parse=_tickets_page,
        )


def _tickets_page(data: Any) -> Page[Ticket]:
    body = as_dict(data, "tickets")
    items = tuple(
        Ticket(
            id=str(row["ticketId"]),
            subject=str(row["subject"]),
            status=str(row["status"]),
            channel=str(row.get("channel", "call")),
            opened_at=timestamp(row["openedAt"], "openedAt"),
            updated_at=timestamp(row.get("updatedAt", row["openedAt"]), "updatedAt"),
        )
        for row in (as_dict(item, "ticket") for item in as_list(body["items"], "items"))
    )
    return Page(items=items, total=int(body.get("total", len(items))))
