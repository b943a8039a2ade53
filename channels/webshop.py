"""The web shop (e-commerce platform) client: live prices and promotions by SKU, and accounts.

Prices change; they are always read live, one batched call per request, with the last good answer
kept as a stale fallback.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from urllib.parse import quote

from channels._answer import ChannelAnswer
from channels._client import ChannelClient
from channels._deadline import Deadline
from channels._parse import as_dict, as_list
from channels._stale import StaleItems
from channels.records import Price, Promotion

# The web shop prices at most this many SKUs per call.
MAX_SKUS_PER_CALL = 100


def _rows_by_sku(data: Any) -> dict[str, dict[str, Any]]:
    rows = (
        as_dict(item, "price") for item in as_list(as_dict(data, "prices").get("prices"), "prices")
    )
    return {str(row["sku"]): row for row in rows}


class WebshopClient:
    """Read prices from the web shop.

    Example:
        >>> async def price_of(shop: WebshopClient, sku: str) -> float:
        ...     answer = await shop.prices([sku], deadline=Deadline.after(0.8))
        ...     return answer.data[sku].amount
    """

    def __init__(self, client: ChannelClient) -> None:
        self.client = client

    async def prices(
        self, skus: Sequence[str], *, deadline: Deadline
    ) -> ChannelAnswer[dict[str, Price]]:
        """Prices of ``skus`` (at most 100); unknown SKUs are absent from the mapping."""
        wanted = sorted(set(skus))
        if len(wanted) > MAX_SKUS_PER_CALL:  # never cut silently: the caller splits its batch
            raise ValueError(f"at most {MAX_SKUS_PER_CALL} SKUs per call, {len(wanted)} given")
        return await self.client.get_json(
            "/api/v1/prices",
            {"skus": ",".join(wanted)},
            deadline=deadline,
            stale_items=StaleItems(
                keys={sku: f"price:{sku}" for sku in wanted},
                split=lambda data: dict.fromkeys(wanted) | _rows_by_sku(data),
                join=lambda rows: {"prices": rows},
            ),
            parse=_prices,
        )

    async def account(self, email: str, *, deadline: Deadline) -> ChannelAnswer[dict[str, Any]]:
        """The shop account of ``email`` as the shop returns it (GDPR export); 404 →
        :class:`ChannelNotFound`. Never cached: it is personal data."""
        return await self.client.get_json(
            f"/api/v1/customers/{quote(email, safe='')}",
            deadline=deadline,
            parse=lambda data: as_dict(data, "account"),
        )


def _prices(data: Any) -> dict[str, Price]:
    prices: dict[str, Price] = {}
    for row in _rows_by_sku(data).values():
        promo = row.get("promotion")
        promotion = (
            Promotion(
                id=str(promo["id"]),
                label=str(promo["label"]),
                percent_off=float(promo["percentOff"]),
            )
            if isinstance(promo, dict)
            else None
        )
        prices[str(row["sku"])] = Price(
            sku=str(row["sku"]),
            amount=float(row["amount"]),
            currency=str(row.get("currency", "EUR")),
            promotion=promotion,
        )
    return prices
