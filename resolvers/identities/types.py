"""GraphQL types of identity stitching: the outcome of a link, conflicts and merge records."""

from __future__ import annotations

from datetime import datetime
from enum import Enum

import strawberry

from graph import identity_records
from resolvers.access.permissions import PiiRead
from resolvers.enums import IdentityKind


@strawberry.enum(description="What linking an identifier did.")
class LinkOutcome(Enum):
    LINKED = "LINKED"
    ALREADY_LINKED = "ALREADY_LINKED"
    MERGED = "MERGED"
    CONFLICT = "CONFLICT"


@strawberry.type(description="An identifier that was not linked automatically, for a person.")
class IdentityConflict:
    id: strawberry.ID
    kind: IdentityKind
    value: str | None = strawberry.field(
        description="The identifier; an email or phone number needs `pii:read`.",
        permission_classes=[PiiRead],
    )
    reason: str
    other_customer_id: strawberry.ID | None
    at: datetime
    source: str
    customer_id: strawberry.Private[str]

    @classmethod
    def from_record(
        cls, record: identity_records.IdentityConflict, customer_id: str
    ) -> IdentityConflict:
        return cls(
            id=strawberry.ID(record.id),
            kind=IdentityKind.from_graph(record.kind),
            value=record.value,
            reason=record.reason,
            other_customer_id=(
                strawberry.ID(record.other_customer_id) if record.other_customer_id else None
            ),
            at=record.at,
            source=record.source,
            customer_id=customer_id,
        )


@strawberry.type(description="An anonymous profile merged into this customer: what moved.")
class Merge:
    id: strawberry.ID
    at: datetime
    reason: str
    source: str
    merged_customer_id: strawberry.ID
    identities: list[str] | None = strawberry.field(
        description="The identifiers that moved (`pii:read`).", permission_classes=[PiiRead]
    )
    interaction_count: int
    cart_rule: str
    customer_id: strawberry.Private[str]

    @classmethod
    def from_record(cls, record: identity_records.MergeRecord, customer_id: str) -> Merge:
        return cls(
            id=strawberry.ID(record.id),
            at=record.at,
            reason=record.reason,
            source=record.source,
            merged_customer_id=strawberry.ID(record.merged_id),
            identities=list(record.identities),
            interaction_count=record.interactions,
            cart_rule=record.cart_rule,
            customer_id=customer_id,
        )


@strawberry.type(description="The result of linking an identifier to a customer.")
class LinkIdentityPayload:
    outcome: LinkOutcome
    customer_id: strawberry.ID = strawberry.field(
        description="The customer who holds the identifier now (the survivor of a merge)."
    )
    merge_id: strawberry.ID | None
    conflict_id: strawberry.ID | None
    reason: str | None
