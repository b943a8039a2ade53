"""The check a subscription by ``customerId`` passes when it starts: the customer is visible.

It reads the customer's consents (for a caller restricted to consenting customers) like the
checks before each result, so it is tried again past a Neo4j failure that may pass
(``rereads``) and ends the subscription with SERVICE_UNAVAILABLE only when Neo4j stays
unavailable, never with the failure of a moment.
"""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry.permission import BasePermission

from resolvers.access.guard import admit_customer
from resolvers.context import Context
from resolvers.errors import Forbidden
from resolvers.realtime.rereads import reread

Info = strawberry.Info[Context, None]


class CustomerVisible(BasePermission):
    """Subscriptions by ``customerId``: the customer must be visible to the caller."""

    message = "this customer is not visible to this caller"
    error_class = Forbidden

    async def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        value = kwargs.get("customer_id", kwargs.get("customerId"))
        if value is None:
            raise Forbidden(self.message)
        customer_id = str(value)
        context = info.context

        async def admit() -> None:
            # Fresh loaders each attempt (a DataLoader keeps a failed load's error for its key).
            context.renew()
            await admit_customer(context.access, context.consents, customer_id)

        await reread(admit, "customer's consents")
        return True
