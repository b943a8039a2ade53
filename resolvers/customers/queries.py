"""Root fields that find a customer: by id, or by any identifier a channel knows them by."""

from __future__ import annotations

import asyncio

import strawberry

from graph.models import CustomerProfile
from resolvers.access.guard import admit_customer
from resolvers.access.permissions import CustomerRead
from resolvers.context import Context
from resolvers.customers.channel_prefetch import TURNS_TO_SEND, read_ahead_channels
from resolvers.customers.prefetch import context_request
from resolvers.customers.types import Customer
from resolvers.enums import IdentityKind
from resolvers.errors import NotFound
from resolvers.validation import check_key, identity_value


@strawberry.type
class CustomerQueries:
    @strawberry.field(
        description="A customer by id; null with NOT_FOUND when unknown (`customer:read`; "
        "FORBIDDEN, as for a customer who did not consent, to a partner restricted by consent).",
        permission_classes=[CustomerRead],
    )
    async def customer(
        self, info: strawberry.Info[Context, None], id: strawberry.ID
    ) -> Customer | None:
        key = check_key(str(id), "id")
        loaders = info.context.loaders
        request = context_request(info, key) if info.context.batch_loads else None
        if request is None:
            profile = await loaders.customer.load(key)
        else:
            profile = await loaders.customer_in_context(request)
        if profile is None:
            await admit_customer(info.context.access, info.context.consents, None)
            raise NotFound(f"no customer with id {key!r}", id=key, argument="id")
        await admit_customer(info.context.access, info.context.consents, profile.id)
        return await _with_calls_sent(info, profile)

    @strawberry.field(
        description="The customer holding an identifier (email, loyalty card...); null with "
        "NOT_FOUND when none does (`customer:read`).",
        permission_classes=[CustomerRead],
    )
    async def customer_by_identity(
        self, info: strawberry.Info[Context, None], kind: IdentityKind, value: str
    ) -> Customer | None:
        graph_kind = kind.to_graph()
        normalised = identity_value(graph_kind, value, info.context.phone_region)
        profile = await info.context.loaders.customer_by_identity.load((graph_kind, normalised))
        if profile is None:
            await admit_customer(info.context.access, info.context.consents, None)
            raise NotFound(
                f"no customer holds this {graph_kind.value}", kind=kind.name, argument="value"
            )
        await admit_customer(info.context.access, info.context.consents, profile.id)
        return await _with_calls_sent(info, profile)


async def _with_calls_sent(
    info: strawberry.Info[Context, None], profile: CustomerProfile
) -> Customer:
    """The customer, once the calls its channel-fed fields will need are on their way."""
    if read_ahead_channels(info, profile):
        for _ in range(TURNS_TO_SEND):
            await asyncio.sleep(0)
    return Customer(profile=profile)
