"""``eraseCustomer``: the right to be forgotten, across the graph, the caches and the systems."""

from __future__ import annotations

import strawberry

from resolvers.access.permissions import Admin
from resolvers.context import Context
from resolvers.privacy.erasure import erase
from resolvers.privacy.types import ErasureOutcome
from resolvers.validation import check_key


@strawberry.type
class PrivacyMutations:
    @strawberry.mutation(
        description="Erase a customer: graph, caches, and an erasure request to every channel "
        "system; leaves an audit record without personal data. Erasing again returns the same "
        "record (replayed: true), unless a profile came back under the id since, which is "
        "erased. Needs the `admin` scope (null with FORBIDDEN otherwise).",
        permission_classes=[Admin],
    )
    async def erase_customer(
        self, info: strawberry.Info[Context, None], id: strawberry.ID
    ) -> ErasureOutcome | None:
        key = check_key(str(id), "id")
        context = info.context
        erasure = await erase(
            context.graph,
            context.systems,
            context.cache_purge,
            key,
            context.channel_budget_s,
            events=context.events,
        )
        context.access.note_erased(key, erasure.record.customer_id_hash)
        return ErasureOutcome.from_record(erasure.record, erasure.replayed)
