"""GraphQL types of GDPR erasure (the export is one JSON document, typed as ``JSON``)."""

from __future__ import annotations

from datetime import datetime

import strawberry

from graph.erasure import ErasureRecord


@strawberry.type(description="How many of each thing an erasure removed from the graph.")
class ErasedCounts:
    identities: int
    devices: int
    carts: int
    interactions: int
    journeys: int
    consents: int
    merges: int
    conflicts: int
    conflicts_redacted: int = strawberry.field(
        description="Other customers' identity conflicts naming this one, redacted."
    )
    idempotency_keys: int = strawberry.field(
        description="Idempotency keys of writes about this customer, with the answers they kept."
    )
    audit_entries_pseudonymised: int = strawberry.field(
        description="Audit-log entries about this customer, kept with the id replaced by its hash."
    )


@strawberry.type(description="The audit record of an erasure: no personal data.")
class ErasureOutcome:
    erasure_id: strawberry.ID
    at: datetime
    customer_id_hash: str = strawberry.field(description="Salted SHA-256 of the customer id.")
    removed: ErasedCounts
    channels_notified: list[str]
    channels_unavailable: list[str] = strawberry.field(
        description="Channel systems that could not be told (to notify again by hand)."
    )
    cache_keys_purged: int
    replayed: bool = strawberry.field(description="True when the customer was erased before.")

    @classmethod
    def from_record(cls, record: ErasureRecord, replayed: bool) -> ErasureOutcome:
        return cls(
            erasure_id=strawberry.ID(record.id),
            at=record.at,
            customer_id_hash=record.customer_id_hash,
            removed=ErasedCounts(
                identities=record.removed["identities"],
                devices=record.removed["devices"],
                carts=record.removed["carts"],
                interactions=record.removed["interactions"],
                journeys=record.removed["journeys"],
                consents=record.removed["consents"],
                merges=record.removed["merges"],
                conflicts=record.removed["conflicts"],
                conflicts_redacted=record.removed["conflictsRedacted"],
                idempotency_keys=record.removed["idempotencyKeys"],
                audit_entries_pseudonymised=record.removed["auditEntriesPseudonymised"],
            ),
            channels_notified=list(record.channels_notified),
            channels_unavailable=list(record.channels_unavailable),
            cache_keys_purged=record.cache_keys_purged,
            replayed=replayed,
        )
