"""``checkout``: turn the shared cart into an OMS order, or leave it untouched and say why."""

from __future__ import annotations

import re

import strawberry

from channels import ChannelError, ChannelRejected, ChannelTimeout, oms, records
from channels.oms import parse_order
from graph import carts, checkout
from graph.checkout import OrderRequest, PlacedOrder
from resolvers.access.permissions import CartWrite, CustomerWrite
from resolvers.context import Context
from resolvers.enums import Channel
from resolvers.errors import BadUserInput, NotFound, ParcoursError, VersionConflict
from resolvers.live.types import Fulfilment, Order
from resolvers.realtime.events import (
    ActivityKind,
    CartChanged,
    CustomerActivity,
    Event,
    OrderStatusChanged,
)
from resolvers.validation import check_key

_IDEMPOTENCY_KEY = re.compile(r"^[A-Za-z0-9_.:\-]{8,128}$")
# The OMS's refusal of a key it has seen with another body (checkout.CheckoutRequest.order_key).
_ORDER_KEY_REUSED = "IDEMPOTENCY_KEY_REUSED"
Info = strawberry.Info[Context, None]


class OrderNotPlaced(ParcoursError):
    """The OMS did not confirm the order; nothing was changed in the graph."""

    code = "CHANNEL_UNAVAILABLE"


@strawberry.input(description="How the order reaches the customer.")
class FulfilmentInput:
    type: Fulfilment
    store_id: strawberry.ID | None = strawberry.field(
        default=None, description="Required for CLICK_AND_COLLECT."
    )


@strawberry.type(description="The order created from the cart.")
class CheckoutPayload:
    order: Order
    replayed: bool = strawberry.field(description="True when this key was already checked out.")


def _placer(info: Info) -> checkout.OrderPlacer:
    async def place(request: OrderRequest) -> PlacedOrder:
        fulfilment = {"type": request.fulfilment}
        if request.store_id:
            fulfilment["storeId"] = request.store_id
        answer = await info.context.sources.observe(
            info.context.systems.oms.create_order(
                request.customer_email,
                request.lines,
                fulfilment,
                idempotency_key=request.idempotency_key,
                deadline=info.context.live.budget.deadline(),
            )
        )
        order = parse_order(answer.data)
        return PlacedOrder(
            order_id=order.id,
            event_id=order.event_id or f"order-{order.id}",
            created_at=order.created_at,
            document=answer.data,
        )

    return place


def _check(fulfilment: FulfilmentInput, idempotency_key: str) -> str | None:
    if not _IDEMPOTENCY_KEY.match(idempotency_key):
        raise BadUserInput(
            "`idempotencyKey` must be 8 to 128 letters, digits or `_.:-`",
            argument="idempotencyKey",
        )
    if fulfilment.type is Fulfilment.CLICK_AND_COLLECT:
        if fulfilment.store_id is None:
            raise BadUserInput("click & collect needs a `storeId`", argument="fulfilment.storeId")
        return check_key(str(fulfilment.store_id), "fulfilment.storeId")
    return None


def _checked_out(customer_id: str, order: records.Order, channel: Channel) -> list[Event]:
    # The cart is re-read by subscribers (it is now ordered); the order starts at its status.
    return [
        CartChanged(customer_id),
        CustomerActivity(
            customer_id,
            ActivityKind.ORDER_PLACED,
            order.created_at,
            (order.id,),
            channel.value,
        ),
        OrderStatusChanged(order.id, order.status, order.created_at, customer_id),
    ]


@strawberry.type
class CheckoutMutations:
    @strawberry.mutation(
        description="Create the order in the OMS from the cart (reserving store stock for click "
        "& collect), record the purchase and close the cart. If the OMS fails, the cart is "
        "untouched (`cart:write`).",
        permission_classes=[CartWrite, CustomerWrite],
    )
    async def checkout(
        self,
        info: Info,
        *,
        cart_id: strawberry.ID,
        expected_version: int,
        fulfilment: FulfilmentInput,
        idempotency_key: str,
        channel: Channel = Channel.WEB,
    ) -> CheckoutPayload | None:
        store_id = _check(fulfilment, idempotency_key)
        if store_id is not None and await info.context.loaders.store.load(store_id) is None:
            # Before the OMS call and the customer's lock: the OMS's own refusal named no
            # argument, and a store it knows but the graph does not would record no AT.
            raise BadUserInput(
                f"no store with id {store_id!r}: click & collect needs a known store",
                argument="fulfilment.storeId",
            )
        request = checkout.CheckoutRequest(
            cart_id=check_key(str(cart_id), "cartId"),
            expected_version=expected_version,
            fulfilment=fulfilment.type.value,
            store_id=store_id,
            idempotency_key=idempotency_key,
            channel=channel.value,
            caller=info.context.access.key_scope,
        )
        try:
            result = await checkout.checkout(info.context.graph, request, _placer(info))
        except carts.VersionConflict as exc:
            raise VersionConflict(
                f"the cart changed: it is at version {exc.current_version}",
                argument="expectedVersion",
                currentVersion=exc.current_version,
            ) from exc
        except checkout.CartMissing as exc:
            raise NotFound(str(exc), argument="cartId") from exc
        except carts.KeyReused as exc:
            raise BadUserInput(str(exc), argument="idempotencyKey") from exc
        except (checkout.CartClosed, checkout.EmptyCart) as exc:
            raise BadUserInput(str(exc), argument="cartId") from exc
        except carts.CartError as exc:
            raise BadUserInput(str(exc)) from exc
        except ChannelRejected as exc:
            reason, detail = oms.refusal(exc.body)
            if reason == _ORDER_KEY_REUSED:
                # An earlier attempt at this cart version reached the OMS (its answer was lost)
                # with another fulfilment: that order stands, and no second one is placed.
                raise BadUserInput(
                    "this cart version was already ordered with another fulfilment: check it "
                    "out again as first asked to get that order, or change the cart first",
                    argument="fulfilment",
                    channel=exc.channel,
                    reason=reason,
                ) from exc
            raise BadUserInput(
                f"the order system refused the order: {detail or 'no reason given'}; "
                "the cart is untouched",
                channel=exc.channel,
                **({"reason": reason} if reason else {}),
            ) from exc
        except ChannelError as exc:
            # A call that timed out (or answered what we cannot read) may have placed the order:
            # checking the same cart version out again returns that order (see order_key).
            raise OrderNotPlaced(
                f"the {exc.channel} system did not confirm the order; the cart is untouched: "
                "check it out again to get the order if it was placed (never a second one)",
                channel=exc.channel,
                code="CHANNEL_TIMEOUT" if isinstance(exc, ChannelTimeout) else exc.code,
            ) from exc
        order = parse_order(result.order)
        if result.customer_id is not None and not result.replayed:
            await info.context.events.publish(_checked_out(result.customer_id, order, channel))
        return CheckoutPayload(order=Order.from_record(order), replayed=result.replayed)
