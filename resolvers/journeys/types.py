"""GraphQL types of journeys: a journey and its steps, and the hand-off a resumption returns.

The hand-off's graph part (journey, steps, products) comes from the resumption's transaction; the
cart (graph) and the assistants' notes (stores system) resolve on demand through the request's
loaders, so a failing stores system costs only ``assistantNotes``. No Cypher, no HTTP here.
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from enum import Enum

import strawberry

from channels import records
from graph import IdentityKind, models
from graph.journeys import MAX_PRODUCTS, MAX_STEPS
from resolvers.catalog.types import Product, Store
from resolvers.context import Context
from resolvers.customers.cart import Cart
from resolvers.customers.channel_views import identity_values
from resolvers.enums import Channel, InteractionType
from resolvers.live.federation import live_value
from resolvers.live.loaders import MAX_ASSISTANT_NOTES

Info = strawberry.Info[Context, None]


@strawberry.enum(description="Where a journey stands.")
class JourneyStatus(Enum):
    ACTIVE = "active"
    COMPLETED = "completed"
    ABANDONED = "abandoned"


@strawberry.type(description="One step of a journey: an interaction, in the order taken.")
class JourneyStep:
    n: int = strawberry.field(description="Position in the journey, from 1.")
    at: datetime
    channel: Channel
    type: InteractionType
    product: Product | None
    store: Store | None

    @classmethod
    def from_model(cls, step: models.JourneyStep) -> JourneyStep:
        return cls(
            n=step.n,
            at=step.at,
            channel=Channel.from_code(step.channel),
            type=InteractionType(step.type),
            product=Product.from_model(step.product) if step.product else None,
            store=Store.from_model(step.store) if step.store else None,
        )


@strawberry.type(description="A goal the customer pursues across channels ('buy a sofa').")
class Journey:
    """A journey as clients see it, built from the graph's record.

    Example:
        >>> from datetime import UTC, datetime
        >>> started = datetime(2026, 10, 1, tzinfo=UTC)
        >>> record = models.Journey(
        ...     "jrn-1", "cus_1", "buy a sofa", "active", started, "store", "Book a visit", ()
        ... )
        >>> Journey.from_model(record).last_channel
        <Channel.STORE: 'store'>
    """

    id: strawberry.ID
    intent: str
    status: JourneyStatus
    started_at: datetime
    last_channel: Channel | None
    next_step: str | None = strawberry.field(description="What the customer should do next.")
    steps: list[JourneyStep] = strawberry.field(
        description="The steps taken so far, first to last (the 100 most recent at most)."
    )

    @classmethod
    def from_model(cls, journey: models.Journey) -> Journey:
        return cls(
            id=strawberry.ID(journey.id),
            intent=journey.intent,
            status=JourneyStatus(journey.status),
            started_at=journey.started_at,
            last_channel=Channel.from_code(journey.last_channel) if journey.last_channel else None,
            next_step=journey.next_step,
            steps=[JourneyStep.from_model(step) for step in journey.steps],
        )


@strawberry.type(description="A note a store assistant kept about the customer.")
class AssistantNote:
    id: strawberry.ID
    store_id: strawberry.ID
    author: str
    at: datetime
    text: str

    @classmethod
    def from_record(cls, note: records.ClienteleNote) -> AssistantNote:
        return cls(
            id=strawberry.ID(note.id),
            store_id=strawberry.ID(note.store_id),
            author=note.author,
            at=note.at,
            text=note.text,
        )


@strawberry.type(description="What the next channel needs to pick a journey up where it stands.")
class JourneyHandOff:
    """The hand-off context of a resumed journey; cart and notes are read when asked for.

    Example:
        >>> from datetime import UTC, datetime
        >>> started = datetime(2026, 10, 1, tzinfo=UTC)
        >>> journey = models.Journey(
        ...     "jrn-1", "cus_1", "buy a sofa", "active", started, "web", "Book a visit", ()
        ... )
        >>> JourneyHandOff.from_model(models.JourneyHandOff(journey, (), ())).customer_id
        'cus_1'
    """

    journey: Journey
    products_viewed: list[Product] = strawberry.field(
        description="Products of the journey's views and add-to-carts, and of the customer's "
        f"views in the 14 days before its latest step; most recent first, {MAX_PRODUCTS} at "
        "most."
    )
    products_tried_in_store: list[Product] = strawberry.field(
        description=f"Products of the journey's in-store steps, in step order, {MAX_PRODUCTS} "
        "at most."
    )
    customer_id: strawberry.Private[str]

    @strawberry.field(
        description="The journey's steps so far (channel and time of each), first to last, the "
        f"{MAX_STEPS} most recent at most."
    )
    def steps_so_far(self) -> list[JourneyStep]:
        return self.journey.steps

    @strawberry.field(description="What the customer should do next.")
    def next_step(self) -> str | None:
        return self.journey.next_step

    @strawberry.field(description="The customer's shared cart as it is now; null without one.")
    async def cart(self, info: Info) -> Cart | None:
        profile = await info.context.loaders.customer.load(self.customer_id)
        return Cart.from_model(profile.cart) if profile and profile.cart else None

    @strawberry.field(
        description=f"The store assistants' notes (stores system), newest first, the "
        f"{MAX_ASSISTANT_NOTES} newest at most; null with CHANNEL_UNAVAILABLE or "
        "CHANNEL_TIMEOUT when that system fails."
    )
    async def assistant_notes(self, info: Info) -> list[AssistantNote] | None:
        profile = await info.context.loaders.customer.load(self.customer_id)
        numbers = identity_values(profile, IdentityKind.POS_CUSTOMER_NUMBER) if profile else []

        async def lookup(number: str) -> tuple[records.ClienteleNote, ...] | None:
            return await live_value(info, info.context.live.notes.load(number))

        found = await asyncio.gather(*(lookup(number) for number in numbers))
        answered = [notes for notes in found if notes is not None]
        if numbers and not answered:
            return None  # the stores system failed; live_value put a coded error on this field
        merged = sorted(
            (note for notes in answered for note in notes), key=lambda n: (n.at, n.id), reverse=True
        )
        return [AssistantNote.from_record(note) for note in merged[:MAX_ASSISTANT_NOTES]]

    @classmethod
    def from_model(cls, hand_off: models.JourneyHandOff) -> JourneyHandOff:
        return cls(
            journey=Journey.from_model(hand_off.journey),
            products_viewed=[Product.from_model(p) for p in hand_off.products_viewed],
            products_tried_in_store=[
                Product.from_model(p) for p in hand_off.products_tried_in_store
            ],
            customer_id=hand_off.journey.customer_id,
        )
