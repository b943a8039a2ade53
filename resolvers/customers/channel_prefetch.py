"""Send a customer's channel calls as soon as the customer is known (issue 7's fan-out).

``customer(id)`` answers with the profile; graphql-core then completes the customer's fields one
by one, and each field fed by a channel system asks its loader when its turn comes. Measured on
the fan-out query (five systems at +20 ms): the first call went out ≈ 1.8 ms after the profile
was known, the last ≈ 2 ms after that, and the answer waited for the last.

:func:`read_ahead_channels` looks into the customer's selection as soon as the profile is there
and asks the same loaders with the same keys (the key functions of ``channel_views``) for what
the fields will ask: the web shop's prices and the OMS's availability of the cart's lines, the
OMS's page of orders, the contact centre's page of tickets, the mobile backend's registrations,
the stores' receipts behind the history. The fields then find their calls in flight (the
DataLoaders' memo) and no call is made twice. Only plain shapes are read ahead, as in
``prefetch.py``: fields without directives, ``first`` as their only argument; a field in a
fragment, with a cursor or a filter, or refused for want of a scope simply loads on its own turn.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Iterator
from typing import Any

import strawberry
from graphql import (
    FieldNode,
    GraphQLObjectType,
    SelectionSetNode,
    get_named_type,
)

from graph import IdentityKind, models
from resolvers.access.permissions import CartRead, HistoryRead
from resolvers.context import Context
from resolvers.customers.channel_views import identity_values, orders_key, tickets_key
from resolvers.customers.prefetch import plain_first, raw_selection
from resolvers.errors import BadUserInput

# Loop turns the customer's resolver waits once it asked, so the calls are written before
# graphql-core completes the customer's fields: a loader's batch is dispatched on the next turn
# and runs as a task, whose call goes out a turn or so later (the test
# `test_a_customers_channel_calls_are_sent_before_its_fields_resolve_and_once_each` fails with
# one turn, passes with two); three leave room.
TURNS_TO_SEND = 3


def read_ahead_channels(
    info: strawberry.Info[Context, None], profile: models.CustomerProfile
) -> bool:
    """Ask the loaders of the customer's channel-fed fields now; True when anything was asked."""
    found = raw_selection(info)
    if found is None or not info.context.batch_loads:
        return False
    raw, selection, variables = found
    customer_type = get_named_type(raw.return_type)
    if not isinstance(customer_type, GraphQLObjectType):
        return False
    asked: list[Awaitable[Any]] = []
    for field in _plain_fields(selection):
        asked.extend(_ask(info, profile, customer_type, field, variables))
    for pending in asked:
        # A field refused or failed before it awaits its call: the outcome counts as seen.
        future = asyncio.ensure_future(pending)  # the loader's own future, not a new task
        future.add_done_callback(lambda done: done.cancelled() or done.exception())
    return bool(asked)


def _ask(
    info: strawberry.Info[Context, None],
    profile: models.CustomerProfile,
    customer_type: GraphQLObjectType,
    field: FieldNode,
    variables: dict[str, Any],
) -> Iterator[Awaitable[Any]]:
    live = info.context.live
    principal = info.context.access.principal
    name = field.name.value
    if name == "cart" and profile.cart is not None and principal.has(CartRead.scope):
        wanted = _names(field)
        line_fields = _names(_child(field, "lines"))
        skus = [line.product.sku for line in profile.cart.lines]
        if "total" in wanted or {"unitPrice", "promotion"} & line_fields:
            yield from (live.price.load(sku) for sku in skus)
        if "availability" in line_fields:
            yield from (live.availability.load(sku) for sku in skus)
    elif name == "devices" and profile.devices and "registration" in _names(field):
        installs = identity_values(profile, IdentityKind.APP_INSTALL_ID)
        yield from (live.devices.load(install) for install in installs)
    elif name in {"orders", "tickets", "history"} and principal.has(HistoryRead.scope):
        default = customer_type.fields[name].args["first"].default_value
        first = plain_first(field, variables, default) if isinstance(default, int) else None
        if first is None:
            return
        limit = info.context.max_page_size
        try:
            if name == "orders" and (orders := orders_key(profile, first, None, limit)):
                yield live.orders.load(orders[0])
            elif name == "tickets" and (tickets := tickets_key(profile, first, None, None, limit)):
                yield live.tickets.load(tickets[0])
            elif name == "history" and 1 <= first <= limit:
                numbers = identity_values(profile, IdentityKind.POS_CUSTOMER_NUMBER)
                yield from (live.receipts.load(number) for number in numbers)
        except BadUserInput:
            return  # the field itself will say so


def _plain_fields(selection: SelectionSetNode | None) -> Iterator[FieldNode]:
    if selection is None:
        return
    for node in selection.selections:
        if isinstance(node, FieldNode) and not node.directives:
            yield node


def _child(field: FieldNode, name: str) -> FieldNode | None:
    return next((f for f in _plain_fields(field.selection_set) if f.name.value == name), None)


def _names(field: FieldNode | None) -> set[str]:
    return {f.name.value for f in _plain_fields(field.selection_set if field else None)}
