"""``linkIdentity`` and ``unlinkIdentity``: stitching by an explicit request (a login, a till)."""

from __future__ import annotations

from datetime import UTC, datetime

import strawberry

from graph import stitching
from resolvers.access.guard import not_consented
from resolvers.access.permissions import CustomerWrite, IdentityWrite
from resolvers.context import Context
from resolvers.enums import Channel, IdentityKind
from resolvers.errors import NotFound
from resolvers.identities.types import LinkIdentityPayload, LinkOutcome
from resolvers.realtime.events import ActivityKind, CartChanged, CustomerActivity, Event
from resolvers.validation import check_key, identity_value

Info = strawberry.Info[Context, None]


def _normalised(info: Info, kind: IdentityKind, value: str) -> str:
    return identity_value(kind.to_graph(), value, info.context.phone_region)


def _linked(request: stitching.LinkRequest, outcome: stitching.StitchOutcome) -> list[Event]:
    """What a link changed: nothing (already linked), one identity, the requester's conflicts
    (a conflict recorded: their cached answers must go), or a merge whose survivor's cart and
    history changed, and the customer merged away (the requester or the holder), whose live
    views end naming the survivor."""
    now = datetime.now(UTC)
    if outcome.outcome == "LINKED":
        return [
            CustomerActivity(
                outcome.customer_id, ActivityKind.IDENTITY_LINKED, now, (), request.source
            )
        ]
    if outcome.outcome == "CONFLICT":
        ids = (outcome.conflict_id,) if outcome.conflict_id else ()
        return [
            CustomerActivity(
                outcome.customer_id, ActivityKind.IDENTITY_CONFLICT, now, ids, request.source
            )
        ]
    if outcome.outcome != "MERGED":
        return []
    ids = (outcome.merge_id,) if outcome.merge_id else ()
    found: list[Event] = []
    merged = outcome.merged_id or request.customer_id
    for customer_id in dict.fromkeys((outcome.customer_id, merged)):
        found.append(CartChanged(customer_id))
        found.append(
            CustomerActivity(customer_id, ActivityKind.IDENTITY_MERGED, now, ids, request.source)
        )
    return found


@strawberry.type
class IdentityMutations:
    @strawberry.mutation(
        description="Link an identifier to a customer; merges an anonymous profile it belongs to, "
        "or records a conflict when that would be a false merge (`identity:write`).",
        permission_classes=[IdentityWrite, CustomerWrite],
    )
    async def link_identity(
        self,
        info: Info,
        *,
        customer_id: strawberry.ID,
        kind: IdentityKind,
        value: str,
        channel: Channel,
    ) -> LinkIdentityPayload | None:
        request = stitching.LinkRequest(
            customer_id=check_key(str(customer_id), "customerId"),
            kind=kind.to_graph(),
            value=_normalised(info, kind, value),
            source=channel.value,
            policy=info.context.stitch_policy,
            required_consents=info.context.access.principal.required_consents,
        )
        try:
            outcome = await stitching.link_identity(info.context.graph, request)
        except stitching.StitchError as exc:  # the customer is unknown
            raise NotFound(str(exc), argument="customerId") from exc
        except stitching.HolderNotVisible as exc:
            # As for a customer it may not see: no conflict naming the holder, no merge.
            raise not_consented(info.context.access) from exc
        await info.context.events.publish(_linked(request, outcome))
        return LinkIdentityPayload(
            outcome=LinkOutcome(outcome.outcome),
            customer_id=strawberry.ID(outcome.customer_id),
            merge_id=strawberry.ID(outcome.merge_id) if outcome.merge_id else None,
            conflict_id=strawberry.ID(outcome.conflict_id) if outcome.conflict_id else None,
            reason=outcome.reason,
        )

    @strawberry.mutation(
        description="Remove an identifier from a customer (`identity:write`).",
        permission_classes=[IdentityWrite, CustomerWrite],
    )
    async def unlink_identity(
        self, info: Info, *, customer_id: strawberry.ID, kind: IdentityKind, value: str
    ) -> bool | None:
        key = check_key(str(customer_id), "customerId")
        try:
            await stitching.unlink_identity(
                info.context.graph, key, kind.to_graph(), _normalised(info, kind, value)
            )
        except stitching.StitchError as exc:
            # Held by no customer of that id: the id is at fault when no customer has it.
            known = await info.context.loaders.customer.load(key) is not None
            raise NotFound(str(exc), argument="value" if known else "customerId") from exc
        await info.context.events.publish(
            [CustomerActivity(str(customer_id), ActivityKind.IDENTITY_UNLINKED, datetime.now(UTC))]
        )
        return True
