"""Mutations of the shared cart, from any channel: add, set quantity, remove, clear.

Each takes the channel it comes from, an optional ``expectedVersion`` (optimistic concurrency) and
a required ``idempotencyKey`` (a retried request has no second effect). The rules live in
``graph.carts``; this module validates arguments and maps refusals to coded errors.
"""

from __future__ import annotations

import re

import strawberry

from graph import carts
from resolvers.access.permissions import CartWrite, CustomerWrite
from resolvers.context import Context
from resolvers.customers.cart import Cart
from resolvers.enums import Channel
from resolvers.errors import BadUserInput, NotFound, VersionConflict
from resolvers.realtime.events import CartChanged
from resolvers.validation import check_key

_IDEMPOTENCY_KEY = re.compile(r"^[A-Za-z0-9_.:\-]{8,128}$")
Info = strawberry.Info[Context, None]


def _check_quantity(quantity: int) -> int:
    if not 1 <= quantity <= carts.MAX_QUANTITY:
        raise BadUserInput(
            f"`quantity` must be between 1 and {carts.MAX_QUANTITY}, got {quantity}",
            argument="quantity",
        )
    return quantity


async def _change(info: Info, change: carts.CartChange) -> Cart:
    if not _IDEMPOTENCY_KEY.match(change.idempotency_key):
        raise BadUserInput(
            "`idempotencyKey` must be 8 to 128 letters, digits or `_.:-`",
            argument="idempotencyKey",
        )
    try:
        result = await carts.change_cart(info.context.graph, change)
    except carts.VersionConflict as exc:
        raise VersionConflict(
            f"the cart changed: it is at version {exc.current_version}",
            argument="expectedVersion",
            currentVersion=exc.current_version,
        ) from exc
    except carts.CustomerMissing as exc:
        raise NotFound(str(exc), argument="customerId") from exc
    except (carts.ProductMissing, carts.LineMissing) as exc:
        raise NotFound(str(exc), argument="sku") from exc
    except carts.KeyReused as exc:
        raise BadUserInput(str(exc), argument="idempotencyKey") from exc
    except carts.LineFull as exc:
        raise BadUserInput(str(exc), argument="quantity") from exc
    except carts.CartFull as exc:
        raise BadUserInput(str(exc), argument="sku", maxLines=carts.MAX_LINES) from exc
    except carts.CartError as exc:
        raise BadUserInput(str(exc)) from exc
    if not result.replayed:
        await info.context.events.publish([CartChanged(change.customer_id, result.cart)])
    return Cart.from_model(result.cart)


@strawberry.type
class CartMutations:
    @strawberry.mutation(
        description="Add units of a product to the customer's shared cart (`cart:write`).",
        permission_classes=[CartWrite, CustomerWrite],
    )
    async def add_cart_item(
        self,
        info: Info,
        *,
        customer_id: strawberry.ID,
        sku: strawberry.ID,
        channel: Channel,
        idempotency_key: str,
        quantity: int = 1,
        expected_version: int | None = None,
    ) -> Cart | None:
        return await _change(
            info,
            carts.CartChange(
                "add",
                check_key(str(customer_id), "customerId"),
                channel.value,
                idempotency_key,
                sku=check_key(str(sku), "sku"),
                quantity=_check_quantity(quantity),
                expected_version=expected_version,
                caller=info.context.access.key_scope,
            ),
        )

    @strawberry.mutation(
        description="Set the quantity of a product in the shared cart (`cart:write`).",
        permission_classes=[CartWrite, CustomerWrite],
    )
    async def set_cart_item_quantity(
        self,
        info: Info,
        *,
        customer_id: strawberry.ID,
        sku: strawberry.ID,
        quantity: int,
        channel: Channel,
        idempotency_key: str,
        expected_version: int | None = None,
    ) -> Cart | None:
        return await _change(
            info,
            carts.CartChange(
                "set",
                check_key(str(customer_id), "customerId"),
                channel.value,
                idempotency_key,
                sku=check_key(str(sku), "sku"),
                quantity=_check_quantity(quantity),
                expected_version=expected_version,
                caller=info.context.access.key_scope,
            ),
        )

    @strawberry.mutation(
        description="Remove a product line from the shared cart (`cart:write`).",
        permission_classes=[CartWrite, CustomerWrite],
    )
    async def remove_cart_item(
        self,
        info: Info,
        *,
        customer_id: strawberry.ID,
        sku: strawberry.ID,
        channel: Channel,
        idempotency_key: str,
        expected_version: int | None = None,
    ) -> Cart | None:
        return await _change(
            info,
            carts.CartChange(
                "remove",
                check_key(str(customer_id), "customerId"),
                channel.value,
                idempotency_key,
                sku=check_key(str(sku), "sku"),
                expected_version=expected_version,
                caller=info.context.access.key_scope,
            ),
        )

    @strawberry.mutation(
        description="Empty the shared cart (`cart:write`).",
        permission_classes=[CartWrite, CustomerWrite],
    )
    async def clear_cart(
        self,
        info: Info,
        *,
        customer_id: strawberry.ID,
        channel: Channel,
        idempotency_key: str,
        expected_version: int | None = None,
    ) -> Cart | None:
        return await _change(
            info,
            carts.CartChange(
                "clear",
                check_key(str(customer_id), "customerId"),
                channel.value,
                idempotency_key,
                expected_version=expected_version,
                caller=info.context.access.key_scope,
            ),
        )
