"""GraphQL types of a customer's context: identities, devices, the shared cart and history."""

from __future__ import annotations

from datetime import datetime

import strawberry

from graph import IdentityKind as GraphIdentityKind
from graph import models
from graph.customers import MAX_DEVICES
from graph.recommendations import RecommendationRequest
from resolvers.access.permissions import (
    CartRead,
    CustomerRead,
    HistoryRead,
    PiiRead,
    RecommendationsRead,
)
from resolvers.access.types import Consent
from resolvers.catalog.types import Product
from resolvers.context import Context
from resolvers.customers import channel_views
from resolvers.customers.buyable import fill
from resolvers.customers.cart import Cart
from resolvers.customers.history import history_connection
from resolvers.customers.interaction import Interaction
from resolvers.customers.prefetch import (
    HISTORY_DEFAULT_FIRST,
    MAX_RECOMMENDATIONS,
    RECOMMENDATIONS_DEFAULT_FIRST,
)
from resolvers.enums import Channel, IdentityKind, InteractionType
from resolvers.identities.paging import record_connection, record_page_request
from resolvers.identities.types import IdentityConflict, Merge
from resolvers.journeys.queries import active_journey, journeys_connection
from resolvers.journeys.types import Journey, JourneyStatus
from resolvers.live.types import DeviceRegistration, Order, Ticket, TicketStatus
from resolvers.pagination import Connection, check_first


@strawberry.type(description="An identifier the customer is known by, and how we know it.")
class Identity:
    kind: IdentityKind
    value: str | None = strawberry.field(
        description="The identifier; an email or phone number needs `pii:read`.",
        permission_classes=[PiiRead],
    )
    since: datetime
    source: str
    confidence: float
    customer_id: strawberry.Private[str]


@strawberry.type(description="A device the customer uses (phone, tablet...).")
class Device:
    id: strawberry.ID
    kind: str
    os: str
    install_ids: strawberry.Private[tuple[str, ...]]

    @strawberry.field(description="The mobile backend's registration (push) of this device.")
    async def registration(self, info: strawberry.Info[Context, None]) -> DeviceRegistration | None:
        return await channel_views.registration(info, str(self.id), self.install_ids)


@strawberry.type(description="A product suggested for the customer, with why.")
class Recommendation:
    product: Product
    score: float
    reason: str


@strawberry.type(description="One person, resolved across every channel.")
class Customer:
    profile: strawberry.Private[models.CustomerProfile]

    @strawberry.field
    def id(self) -> strawberry.ID:
        return strawberry.ID(self.profile.id)

    @strawberry.field(description="The customer's name (`pii:read`).", permission_classes=[PiiRead])
    def display_name(self) -> str | None:
        return self.profile.display_name

    @strawberry.field
    def created_at(self) -> datetime:
        return self.profile.created_at

    @strawberry.field(
        description="Every identifier linked to this customer: of each kind at most as many as "
        "the stitching limits allow (PARCOURS_STITCH_LIMITS; 36 in all by default)."
    )
    def identities(self) -> list[Identity]:
        return [
            Identity(
                kind=IdentityKind.from_graph(i.kind),
                value=i.value,
                since=i.since,
                source=i.source,
                confidence=i.confidence,
                customer_id=self.profile.id,
            )
            for i in self.profile.identities
        ]

    @strawberry.field(description=f"The devices the customer uses, by id, {MAX_DEVICES} at most.")
    def devices(self) -> list[Device]:
        installs = tuple(
            channel_views.identity_values(self.profile, GraphIdentityKind.APP_INSTALL_ID)
        )
        return [
            Device(id=strawberry.ID(d.id), kind=d.kind, os=d.os, install_ids=installs)
            for d in self.profile.devices
        ]

    @strawberry.field(
        description="The active shared cart, or null when the customer has none (`cart:read`).",
        permission_classes=[CartRead],
    )
    def cart(self) -> Cart | None:
        return Cart.from_model(self.profile.cart) if self.profile.cart else None

    @strawberry.field(
        description="Interactions on every channel, newest first (`history:read`).",
        permission_classes=[HistoryRead],
    )
    async def history(
        self,
        info: strawberry.Info[Context, None],
        first: int = HISTORY_DEFAULT_FIRST,
        after: str | None = None,
        channels: list[Channel] | None = None,
        types: list[InteractionType] | None = None,
    ) -> Connection[Interaction] | None:
        return await history_connection(
            info, profile=self.profile, first=first, after=after, channels=channels, types=types
        )

    @strawberry.field(
        description="Goals pursued across channels, newest first (`history:read`).",
        permission_classes=[HistoryRead],
    )
    async def journeys(
        self,
        info: strawberry.Info[Context, None],
        status: JourneyStatus | None = None,
        first: int = 10,
        after: str | None = None,
    ) -> Connection[Journey] | None:
        return await journeys_connection(
            info, self.profile.id, status=status, first=first, after=after
        )

    @strawberry.field(
        description="The most recently started active journey, or null (`history:read`).",
        permission_classes=[HistoryRead],
    )
    async def active_journey(self, info: strawberry.Info[Context, None]) -> Journey | None:
        return await active_journey(info, self.profile.id)

    @strawberry.field(
        description=(
            "Orders from the order-management system under every email the customer holds, "
            "newest first (`history:read`)."
        ),
        permission_classes=[HistoryRead],
    )
    async def orders(
        self, info: strawberry.Info[Context, None], first: int = 10, after: str | None = None
    ) -> Connection[Order] | None:
        return await channel_views.orders(info, self.profile, first, after)

    @strawberry.field(
        description=(
            "Contact-centre tickets under every contact-centre id the customer holds, most "
            "recently opened first; a cursor pages only the list of the `status` it was taken "
            "with (`history:read`)."
        ),
        permission_classes=[HistoryRead],
    )
    async def tickets(
        self,
        info: strawberry.Info[Context, None],
        first: int = 10,
        after: str | None = None,
        status: TicketStatus | None = None,
    ) -> Connection[Ticket] | None:
        return await channel_views.tickets(info, self.profile, first, after, status)

    @strawberry.field(
        description="Identifiers that were not linked automatically (to review), newest first."
    )
    async def identity_conflicts(
        self, info: strawberry.Info[Context, None], first: int = 20, after: str | None = None
    ) -> Connection[IdentityConflict]:
        request = record_page_request(
            self.profile.id, first, after, info.context.max_page_size, "identityConflicts"
        )
        page = await info.context.identity_records.conflicts.load(request)
        return record_connection(
            page,
            after,
            lambda r: IdentityConflict.from_record(r, self.profile.id),
            "identityConflicts",
        )

    @strawberry.field(description="Anonymous profiles merged into this customer, newest first.")
    async def merges(
        self, info: strawberry.Info[Context, None], first: int = 20, after: str | None = None
    ) -> Connection[Merge]:
        request = record_page_request(
            self.profile.id, first, after, info.context.max_page_size, "merges"
        )
        page = await info.context.identity_records.merges.load(request)
        return record_connection(
            page, after, lambda r: Merge.from_record(r, self.profile.id), "merges"
        )

    @strawberry.field(
        description=(
            "Products this customer is likely to want, best first (`recommendations:read`); "
            f"`first` at most {MAX_RECOMMENDATIONS}; empty when the customer refused "
            "personalisation. Products the OMS lists with no unit online nor in any store are "
            "left out, as this instance heard from the OMS in the last 30 s (fewer than `first` "
            "only when fewer buyable products are ranked); when the "
            "OMS cannot answer, the ranking is shown unchecked and `extensions.sources` says so."
        ),
        permission_classes=[RecommendationsRead],
    )
    async def recommendations(
        self, info: strawberry.Info[Context, None], first: int = RECOMMENDATIONS_DEFAULT_FIRST
    ) -> list[Recommendation] | None:
        request = RecommendationRequest(self.profile.id, check_first(first, MAX_RECOMMENDATIONS))
        oms = info.context.systems.oms
        loader = info.context.loaders.recommendations
        found = await fill(info.context.live, oms.recent, request, loader.load)
        return [
            Recommendation(product=Product.from_model(r.product), score=r.score, reason=r.reason)
            for r in found
        ]

    @strawberry.field(
        description="The customer's consent decisions, one per purpose decided (`customer:read`).",
        permission_classes=[CustomerRead],
    )
    async def consents(self, info: strawberry.Info[Context, None]) -> list[Consent] | None:
        found = await info.context.consents.load(self.profile.id)
        return [Consent.from_model(consent) for consent in found]
