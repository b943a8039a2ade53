"""The order-management system client: availability (online and per store) and orders by email
(one list over every email of a customer, in one call)."""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Sequence
from typing import Any

from channels._answer import ChannelAnswer
from channels._client import ChannelClient
from channels._deadline import Deadline
from channels._parse import as_dict, as_list, timestamp
from channels._stale import StaleItems
from channels.records import Availability, Order, OrderEvent, Page, StoreAvailability

# The OMS answers the availability of at most this many SKUs per call.
MAX_SKUS_PER_CALL = 100
# ...and the orders of at most this many emails per call...
MAX_EMAILS_PER_CALL = 20
# ...in pages of at most this many orders (a 400 beyond).
MAX_PAGE_SIZE = 100


def _availability_by_sku(data: Any) -> dict[str, dict[str, Any]]:
    body = as_dict(data, "availability")
    rows = (
        as_dict(item, "availability item")
        for item in as_list(body.get("availability"), "availability")
    )
    return {str(row["sku"]): row for row in rows}


def refusal(body: object) -> tuple[str | None, str | None]:
    """The reason code and message of an OMS refusal (``{"errors": [{"code", "detail"}]}``), or
    ``(None, None)`` for a body of another shape.

    Example:
        >>> refusal({"errors": [{"code": "OUT_OF_STOCK", "detail": "not enough stock of SKU-1"}]})
        ('OUT_OF_STOCK', 'not enough stock of SKU-1')
        >>> refusal("<html>")
        (None, None)
    """
    errors = body.get("errors") if isinstance(body, dict) else None
    first = errors[0] if isinstance(errors, list) and errors else None
    if not isinstance(first, dict):
        return None, None
    code, detail = first.get("code"), first.get("detail")
    return (code if isinstance(code, str) else None, detail if isinstance(detail, str) else None)


class RecentAvailability:
    """What this instance last heard from the OMS about each SKU's stock (online and in every
    store), for ``max_age_s`` seconds: enough to leave a sold-out product out of
    recommendations without asking the OMS on every home screen. At most ``max_items`` SKUs are
    kept (the least recently heard of go first); ``max_age_s`` of 0 keeps nothing.

    Example:
        >>> recent = RecentAvailability(max_age_s=30.0)
        >>> recent.remember({"SKU-1": None}, at=100.0)
        >>> recent.known(["SKU-1", "SKU-2"], now=129.0), recent.known(["SKU-1"], now=131.0)
        ({'SKU-1': None}, {})
    """

    def __init__(self, max_age_s: float, max_items: int = 10_000) -> None:
        self.max_age_s = max_age_s
        self.max_items = max_items
        self._heard: OrderedDict[str, tuple[float, Availability | None]] = OrderedDict()

    def remember(self, answers: dict[str, Availability | None], at: float) -> None:
        """Keep what the OMS answered at ``at`` (``None``: a SKU it does not list)."""
        if self.max_age_s <= 0:
            return
        for sku, found in answers.items():
            self._heard[sku] = (at, found)
            self._heard.move_to_end(sku)
        while len(self._heard) > self.max_items:
            self._heard.popitem(last=False)

    def known(self, skus: Sequence[str], now: float) -> dict[str, Availability | None]:
        """The SKUs of ``skus`` heard of less than ``max_age_s`` ago, with what was heard."""
        found: dict[str, Availability | None] = {}
        for sku in skus:
            heard = self._heard.get(sku)
            if heard is not None and now - heard[0] < self.max_age_s:
                found[sku] = heard[1]
        return found


class OmsClient:
    """Read availability and orders from the OMS.

    Example:
        >>> async def online(oms: OmsClient, sku: str) -> int:
        ...     answer = await oms.availability([sku], deadline=Deadline.after(0.8))
        ...     return answer.data[sku].online
    """

    def __init__(self, client: ChannelClient, recent_availability_s: float = 30.0) -> None:
        self.client = client
        # Fresh answers about every store (not stale copies, not a few stores') are kept here.
        self.recent = RecentAvailability(recent_availability_s)

    async def availability(
        self, skus: Sequence[str], store_ids: Sequence[str] = (), *, deadline: Deadline
    ) -> ChannelAnswer[dict[str, Availability]]:
        wanted = sorted(set(skus))
        if len(wanted) > MAX_SKUS_PER_CALL:  # the OMS answers 400: the caller splits its batch
            raise ValueError(f"at most {MAX_SKUS_PER_CALL} SKUs per call, {len(wanted)} given")
        stores = sorted(set(store_ids))
        params = {"skus": ",".join(wanted)}
        if stores:
            params["storeIds"] = ",".join(stores)
        where = params.get("storeIds", "")
        answer: ChannelAnswer[dict[str, Availability]] = await self.client.get_json(
            "/oms/availability",
            params,
            deadline=deadline,
            stale_items=StaleItems(
                keys={sku: f"availability-sku:{sku}:{where}" for sku in wanted},
                split=lambda data: dict.fromkeys(wanted) | _availability_by_sku(data),
                join=lambda rows: {"availability": rows},
            ),
            parse=_availability,
        )
        if not stores and not answer.stale:
            heard: dict[str, Availability | None] = dict.fromkeys(wanted)
            heard.update(answer.data)
            self.recent.remember(heard, time.monotonic())
        return answer

    async def create_order(
        self,
        email: str,
        lines: Sequence[tuple[str, int]],
        fulfilment: dict[str, str],
        *,
        idempotency_key: str,
        deadline: Deadline,
    ) -> ChannelAnswer[dict[str, Any]]:
        """Place an order; the key makes a retried call return the same order (never a second)."""
        body = {
            "customerEmail": email,
            "lines": [{"sku": sku, "qty": qty} for sku, qty in lines],
            "fulfilment": fulfilment,
        }
        return await self.client.post_json(
            "/oms/orders",
            body,
            deadline=deadline,
            idempotency_key=idempotency_key,
            parse=_order_document,
        )

    async def orders(
        self,
        email: str,
        page: int,
        page_size: int,
        *,
        deadline: Deadline,
        stale_fallback: bool = True,
    ) -> ChannelAnswer[Page[Order]]:
        """One page of the orders of one email."""
        return await self.orders_of(
            [email], page, page_size, deadline=deadline, stale_fallback=stale_fallback
        )

    async def orders_of(
        self,
        emails: Sequence[str],
        page: int,
        page_size: int,
        *,
        deadline: Deadline,
        stale_fallback: bool = True,
    ) -> ChannelAnswer[Page[Order]]:
        """One page of the orders of several emails as one list (newest first), in one call.

        Without ``stale_fallback`` the answer is neither kept nor replaced by a kept one: the
        system's own answer, or its failure (a GDPR export)."""
        wanted = sorted(set(emails))
        if not 1 <= len(wanted) <= MAX_EMAILS_PER_CALL:  # the OMS answers 400 beyond
            raise ValueError(f"between 1 and {MAX_EMAILS_PER_CALL} emails per call")
        if not 1 <= page_size <= MAX_PAGE_SIZE:  # the OMS answers 400: the caller pages smaller
            raise ValueError(f"between 1 and {MAX_PAGE_SIZE} orders per page, {page_size} given")
        if any("," in email for email in wanted):  # the list's separator (identities refuse it)
            raise ValueError("an email with a comma cannot be asked in a list of emails")
        keys = ",".join(wanted)
        params = {"customerEmails": keys, "page": str(page), "pageSize": str(page_size)}
        return await self.client.get_json(
            "/oms/orders",
            params,
            deadline=deadline,
            # One email keeps the key it had before several could be asked.
            stale_key=f"orders:{keys}:{page}:{page_size}" if stale_fallback else None,
            parse=_orders_page,
        )


def _availability(data: Any) -> dict[str, Availability]:
    found: dict[str, Availability] = {}
    for row in _availability_by_sku(data).values():
        found[str(row["sku"])] = Availability(
            sku=str(row["sku"]),
            online=int(row["online"]),
            stores=tuple(
                StoreAvailability(store_id=str(s["storeId"]), available=int(s["available"]))
                for s in as_list(row.get("stores", []), "stores")
            ),
        )
    return found


def _orders_page(data: Any) -> Page[Order]:
    body = as_dict(data, "orders")
    items = tuple(_order(as_dict(item, "order")) for item in as_list(body["items"], "items"))
    return Page(items=items, total=int(body.get("total", len(items))))


def _order_document(data: Any) -> dict[str, Any]:
    """The order document as the OMS answered it, once it is known to read as an order."""
    document = as_dict(data, "order")
    parse_order(document)
    return document


def parse_order(row: dict[str, Any]) -> Order:
    """An OMS order document as our record (also used to replay a stored checkout answer)."""
    return _order(as_dict(row, "order"))


def _order(row: dict[str, Any]) -> Order:
    fulfilment = as_dict(row.get("fulfilment", {}), "fulfilment")
    return Order(
        id=str(row["orderId"]),
        created_at=timestamp(row["createdAt"], "createdAt"),
        status=str(row["status"]),
        fulfilment=str(fulfilment.get("type", "DELIVERY")),
        store_id=str(fulfilment["storeId"]) if fulfilment.get("storeId") else None,
        total=float(row.get("total", 0.0)),
        timeline=tuple(
            OrderEvent(status=str(e["status"]), at=timestamp(e["at"], "timeline.at"))
            for e in as_list(row.get("timeline", []), "timeline")
        ),
        event_id=str(row["eventId"]) if row.get("eventId") else None,
    )
