"""``AuditTrail``: writes the audit records a request collected, in one statement, at its end.

One write per request that read personal data or acted as admin, none otherwise; a failed audit
write is logged (with the request id) and never turns an answered read into an error.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import structlog
from neo4j.exceptions import Neo4jError
from strawberry.extensions import SchemaExtension

from graph import audit
from resolvers.context import Context

log = structlog.get_logger("parcours.audit")


class AuditTrail(SchemaExtension):
    async def on_operation(self) -> AsyncIterator[None]:
        yield
        context = self.execution_context.context
        if not isinstance(context, Context):
            return
        records = context.access.take_records()
        if not records:
            return
        try:
            await audit.write_entries(context.graph, records)
        except (Neo4jError, OSError, TimeoutError) as exc:
            log.error(  # noqa: TRY400 - the cause is known and logged; no stack trace needed
                "audit write failed", request_id=context.request_id, error=repr(exc), n=len(records)
            )
