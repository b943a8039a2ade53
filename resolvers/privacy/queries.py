"""``exportCustomer``: the GDPR export as one JSON document (also a download, gateway/privacy)."""

from __future__ import annotations

from typing import Any, cast

import strawberry
from strawberry.scalars import JSON

from resolvers.access.permissions import Admin
from resolvers.context import Context
from resolvers.errors import NotFound
from resolvers.privacy.dossier import export_document
from resolvers.validation import check_key


@strawberry.type
class PrivacyQueries:
    @strawberry.field(
        description="Everything held on a customer, in the graph and in each channel system, as "
        "one JSON document (GDPR access); null with NOT_FOUND when unknown. Needs the `admin` "
        "scope (null with FORBIDDEN otherwise).",
        permission_classes=[Admin],
    )
    async def export_customer(
        self, info: strawberry.Info[Context, None], id: strawberry.ID
    ) -> JSON | None:
        key = check_key(str(id), "id")
        context = info.context
        document: dict[str, Any] | None = await export_document(
            context.graph, context.systems, key, context.channel_budget_s
        )
        if document is None:
            raise NotFound(f"no customer with id {key!r}", id=key, argument="id")
        return cast(JSON, document)
