"""GraphQL types of identity stitching: the outcome of a link, conflicts and merge records."""

from __future__ import annotations

from datetime import datetime
from enum import Enum

import strawberry

from graph import identity_records
from graph.carts import MAX_LINES
from resolvers.access.guard import admit_customer
from resolvers.access.permissions import PiiRead
from resolvers.context import Context
from resolvers.enums import IdentityKind
from resolvers.errors import Forbidden

Info = strawberry.Info[Context, None]


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
    at: datetime
    source: str
    customer_id: strawberry.Private[str]
    other_id: strawberry.Private[str | None]

    @strawberry.field(
        description="The other customer holding the identifier; null when there is none, or "
        "for a caller restricted to consenting customers when that one has not consented."
    )
    async def other_customer_id(self, info: Info) -> strawberry.ID | None:
        if self.other_id is None:
            return None
        access = info.context.access
        if access.principal.required_consents:
            try:
                await admit_customer(access, info.context.consents, self.other_id)
            except Forbidden:
                return None
        return strawberry.ID(self.other_id)

    @classmethod
    def from_record(
        cls, record: identity_records.IdentityConflict, customer_id: str
    ) -> IdentityConflict:
        return cls(
            id=strawberry.ID(record.id),
            kind=IdentityKind.from_graph(record.kind),
            value=record.value,
            reason=record.reason,
            other_id=record.other_customer_id or None,
            at=record.at,
            source=record.source,
            customer_id=customer_id,
        )


@strawberry.type(description="A cart line a merge left out: the cart's product and quantity.")
class DroppedCartLine:
    sku: strawberry.ID
    quantity: int


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
    dropped_cart_lines: list[DroppedCartLine] = strawberry.field(
        description=f"The lines the merged cart left out, oldest added first, at most "
        f"{MAX_LINES}: a cart holds at most {MAX_LINES} products, so a merge whose union of both "
        f"carts has more keeps the {MAX_LINES} most recently added and lists the others here."
    )
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
            dropped_cart_lines=[
                DroppedCartLine(sku=strawberry.ID(sku), quantity=quantity)
                for sku, quantity in record.dropped_cart_lines[:MAX_LINES]
            ],
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
