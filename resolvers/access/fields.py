"""Root fields of access: ``auditLog`` (admin) and ``setConsent``."""

from __future__ import annotations

import base64
import binascii
from datetime import datetime

import orjson
import strawberry
from strawberry.relay import PageInfo

from graph import audit, consents
from resolvers.access.permissions import Admin, ConsentWrite, CustomerWrite
from resolvers.access.types import AuditEntry, Consent, ConsentPurpose
from resolvers.context import Context
from resolvers.enums import Channel
from resolvers.errors import BadUserInput, NotFound
from resolvers.pagination import Connection, Edge, check_first
from resolvers.validation import check_key

Info = strawberry.Info[Context, None]
MAX_AUDIT_PAGE = 100


def _cursor(entry: audit.AuditEntry) -> str:
    payload = orjson.dumps({"at": entry.at.isoformat(), "id": entry.id})
    return base64.urlsafe_b64encode(payload).decode()


def _decode(cursor: str) -> audit.AuditCursor:
    refused = BadUserInput("`after` is not a cursor this API returned", argument="after")
    try:
        data = orjson.loads(base64.urlsafe_b64decode(cursor.encode()))
        at = datetime.fromisoformat(data["at"])
        entry_id = data["id"]
    except (binascii.Error, orjson.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
        raise refused from exc
    if not isinstance(entry_id, str) or at.tzinfo is None:
        raise refused
    return audit.AuditCursor(at=at, id=entry_id)


@strawberry.type
class AccessQueries:
    @strawberry.field(
        description="The audit log (PII reads by partners, admin actions), newest first.",
        permission_classes=[Admin],
    )
    async def audit_log(
        self, info: Info, first: int = 20, after: str | None = None
    ) -> Connection[AuditEntry] | None:
        size = check_first(first, min(MAX_AUDIT_PAGE, info.context.max_page_size))
        entries, more = await audit.entries_page(
            info.context.graph, size, _decode(after) if after else None
        )
        edges = [Edge(cursor=_cursor(e), node=AuditEntry.from_model(e)) for e in entries]
        return Connection(
            edges=edges,
            page_info=PageInfo(
                has_next_page=more,
                has_previous_page=after is not None,
                start_cursor=edges[0].cursor if edges else None,
                end_cursor=edges[-1].cursor if edges else None,
            ),
        )


@strawberry.type
class AccessMutations:
    @strawberry.mutation(
        description="Record a customer's consent decision for a purpose.",
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
            raise NotFound(f"no customer with id {key!r}", id=key)
        return Consent.from_model(recorded)
