"""``resumeJourney``: pick a journey up on another channel and get its hand-off context.

The rules (lock, idempotency, refusal of completed journeys, the recorded ``resume`` step) live
in ``graph.journeys``; this module validates arguments and maps refusals to coded errors.
"""

from __future__ import annotations

from datetime import UTC, datetime

import strawberry

from graph import journeys, models
from resolvers.access.permissions import CustomerWrite, JourneyWrite
from resolvers.context import Context
from resolvers.enums import Channel
from resolvers.errors import BadUserInput, NotFound
from resolvers.journeys.types import JourneyHandOff
from resolvers.realtime.events import ActivityKind, CustomerActivity
from resolvers.validation import check_idempotency_key, check_key

Info = strawberry.Info[Context, None]


@strawberry.type
class JourneyMutations:
    @strawberry.mutation(
        description="Resume a journey on a channel: records the resumption as the journey's next "
        "step (once per idempotency key) and returns what that channel needs to carry on "
        "(`journey:write`).",
        permission_classes=[JourneyWrite, CustomerWrite],
    )
    async def resume_journey(
        self,
        info: Info,
        *,
        journey_id: strawberry.ID,
        channel: Channel,
        idempotency_key: str,
    ) -> JourneyHandOff | None:
        resumption = journeys.Resumption(
            journey_id=check_key(str(journey_id), "journeyId"),
            channel=channel.value,
            idempotency_key=check_idempotency_key(idempotency_key),
            caller=info.context.access.key_scope,
        )
        try:
            result = await journeys.resume_journey(info.context.graph, resumption)
        except journeys.JourneyMissing as exc:
            raise NotFound(str(exc), journeyId=resumption.journey_id, argument="journeyId") from exc
        except journeys.JourneyCompleted as exc:
            raise BadUserInput(str(exc), argument="journeyId") from exc
        except journeys.KeyReused as exc:
            raise BadUserInput(str(exc), argument="idempotencyKey") from exc
        except journeys.JourneyError as exc:
            raise BadUserInput(str(exc)) from exc
        if not result.replayed:
            await info.context.events.publish([_resumed(result.hand_off.journey)])
        return JourneyHandOff.from_model(result.hand_off)


def _resumed(journey: models.Journey) -> CustomerActivity:
    step = max(journey.steps, key=lambda s: s.n, default=None)
    return CustomerActivity(
        journey.customer_id,
        ActivityKind.JOURNEY_STEP,
        step.at if step else datetime.now(UTC),
        (journey.id, step.interaction_id) if step else (journey.id,),
        step.channel if step else journey.last_channel,
    )
