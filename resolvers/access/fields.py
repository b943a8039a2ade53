"""Root fields of access: ``auditLog`` (admin) and ``setConsent``."""

from __future__ import annotations

import strawberry

from graph import audit, consents
from resolvers.access.permissions import Admin, ConsentWrite, CustomerWrite
from resolvers.access.types import AuditEntry, Consent, ConsentPurpose
from resolvers.context import Context
from resolvers.enums import Channel
from resolvers.errors import NotFound
from resolvers.pagination import (
    Connection,
    Edge,
    check_first,
    decode_history_cursor,
    encode_history_cursor,
    page_info,
)
from resolvers.realtime.events import ActivityKind, CustomerActivity
from resolvers.validation import check_key

Info = strawberry.Info[Context, None]
MAX_AUDIT_PAGE = 100


@strawberry.type
class AccessQueries:
    @strawberry.field(
        description="The audit log (PII reads by partners, admin actions), newest first; `first` "
        "at most 100. Needs the `admin` scope (null with FORBIDDEN otherwise).",
        permission_classes=[Admin],
    )
    async def audit_log(
        self, info: Info, first: int = 20, after: str | None = None
    ) -> Connection[AuditEntry] | None:
        size = check_first(first, min(MAX_AUDIT_PAGE, info.context.max_page_size))
        entries, more = await audit.entries_page(
            info.context.graph,
            size,
            decode_history_cursor(after, "auditLog") if after is not None else None,
        )
        edges = [
            Edge(
                cursor=encode_history_cursor(e.at, e.id, "auditLog"), node=AuditEntry.from_model(e)
            )
            for e in entries
        ]
        return Connection(
            edges=edges,
            page_info=page_info(edges, more, after),
        )


@strawberry.type
class AccessMutations:
    @strawberry.mutation(
        description="Record a customer's consent decision for a purpose (`consent:write`).",
        permission_classes=[ConsentWrite, CustomerWrite],
    )
    async def set_consent(
        self,
        info: Info,
        customer_id: strawberry.ID,
        purpose: ConsentPurpose,
        granted: bool,
        channel: Channel,
    ) -> Consent | None:
        key = check_key(str(customer_id), "customerId")
        recorded = await consents.set_consent(
            info.context.graph, key, purpose.value, granted, channel.value
        )
        if recorded is None:
            raise NotFound(f"no customer with id {key!r}", id=key, argument="customerId")
        # Naming the customer bumps their context version: a cached answer holding the old
        # decision (consents, recommendations) is never read again.
        await info.context.events.publish(
            [CustomerActivity(key, ActivityKind.CONSENT_CHANGED, recorded.at, (), channel.value)]
        )
        return Consent.from_model(recorded)
