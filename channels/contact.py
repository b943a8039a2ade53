"""The contact-centre client: a customer's tickets."""

from __future__ import annotations

from urllib.parse import quote

from channels._answer import ChannelAnswer
from channels._client import ChannelClient
from channels._deadline import Deadline
from channels._parse import as_dict, as_list, timestamp
from channels.records import Page, Ticket


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
    ) -> ChannelAnswer[Page[Ticket]]:
        params = {"page": str(page), "pageSize": str(page_size)}
        if status:
            params["status"] = status
        answer = await self.client.get_json(
            f"/cc/v2/customers/{quote(cc_id, safe='')}/tickets",
            params,
            deadline=deadline,
            stale_key=f"tickets:{cc_id}:{status or ''}:{page}:{page_size}",
        )
        body = as_dict(answer.data, "tickets")
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
        return answer.with_data(Page(items=items, total=int(body.get("total", len(items)))))
