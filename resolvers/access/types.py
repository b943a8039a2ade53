"""GraphQL types of access: consents per purpose and the audit log."""

from __future__ import annotations

from datetime import datetime
from enum import Enum

import strawberry

from graph import audit, consents


@strawberry.enum(description="Why a customer's data may be used.")
class ConsentPurpose(Enum):
    PERSONALISATION = "personalisation"
    MARKETING = "marketing"
    PARTNER_SHARING = "partner_sharing"


@strawberry.type(description="A customer's decision for one purpose.")
class Consent:
    purpose: ConsentPurpose
    granted: bool
    at: datetime
    source: str

    @classmethod
    def from_model(cls, consent: consents.Consent) -> Consent:
        return cls(
            purpose=ConsentPurpose(consent.purpose),
            granted=consent.granted,
            at=consent.at,
            source=consent.source,
        )


@strawberry.type(description="A personal-data read by a partner, or an admin action.")
class AuditEntry:
    id: strawberry.ID
    at: datetime
    partner_id: strawberry.ID
    action: str
    customer_id: strawberry.ID | None
    fields: list[str]
    customer_id_hash: str | None = strawberry.field(
        description="Once the customer was erased: the salted hash of their id (the erasure "
        "record's `customerIdHash`), in place of `customerId`."
    )

    @classmethod
    def from_model(cls, entry: audit.AuditEntry) -> AuditEntry:
        return cls(
            id=strawberry.ID(entry.id),
            at=entry.at,
            partner_id=strawberry.ID(entry.partner_id),
            action=entry.action,
            customer_id=strawberry.ID(entry.customer_id) if entry.customer_id else None,
            fields=list(entry.fields),
            customer_id_hash=entry.customer_id_hash,
        )
