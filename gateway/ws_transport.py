"""graphql-transport-ws held to the same access rules as HTTP for as long as a connection lives.

Over HTTP every request is authenticated and counted against its partner's rate limit. A
WebSocket authenticates once, with its ``connection_init`` payload, then may live for hours, so:

- each operation a connection starts (a query, a mutation or a subscription) counts as one
  request of the partner's: over the limit that operation gets an ``error`` message coded
  RATE_LIMITED with ``retryAfter``, and the connection stays open (a subscription counts once,
  when it starts; the events it then receives do not count);
- a partner's credentials are checked again every ``ws_reauth_s``: a revoked key, an expired or
  otherwise refused token closes the connection with 4403 Forbidden, and a change of the
  partner's scopes applies to the operations that follow.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Protocol, cast

from graphql import GraphQLError
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
)
from strawberry.subscriptions.protocols.graphql_transport_ws.types import (
    ConnectionInitMessage,
    SubscribeMessage,
)

from gateway.auth import Authenticator, Credentials, Unauthenticated
from gateway.rate_limits import RateLimits
from resolvers import Context

TOO_MANY = "too many requests for this partner: retry later"
log = logging.getLogger("parcours.websocket")


class PartnerAccess(Protocol):
    """What the transport needs of the view serving it."""

    @property
    def rate_limits(self) -> RateLimits: ...

    @property
    def authenticator(self) -> Authenticator: ...

    @property
    def reauth_s(self) -> float: ...


class PartnerTransportWS(BaseGraphQLTransportWSHandler[Context, None]):
    """graphql-transport-ws with the partner's rate limit per operation and its credentials
    checked again while the connection lives (module docstring)."""

    _watch: asyncio.Task[None] | None = None

    async def handle_connection_init(self, message: ConnectionInitMessage) -> None:
        await super().handle_connection_init(message)
        watched = self._watch is not None or not self.context.access.principal.is_partner
        if self.connection_acknowledged and not watched:
            credentials = Credentials.from_payload(self.context.connection_params or {})
            self._watch = asyncio.create_task(self._recheck(credentials))

    async def handle_subscribe(self, message: SubscribeMessage) -> None:
        # Unacknowledged connections and reused ids are closed by Strawberry: nothing to count.
        if self.connection_acknowledged and message["id"] not in self.operations:
            principal = self.context.access.principal
            wait = await self._access().rate_limits.partner_request(principal)
            if wait is not None:
                extensions = {
                    "code": "RATE_LIMITED",
                    "retryAfter": max(1, round(wait)),
                    "requestId": self.context.request_id,
                }
                error = GraphQLError(TOO_MANY, extensions=extensions)
                await self.send_message(
                    {"id": message["id"], "type": "error", "payload": [error.formatted]}
                )
                return
        await super().handle_subscribe(message)

    async def shutdown(self) -> None:
        if self._watch is not None:
            self._watch.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._watch
        await super().shutdown()

    async def _recheck(self, credentials: Credentials) -> None:
        access = self._access()
        while True:
            await asyncio.sleep(access.reauth_s)
            try:
                principal = await access.authenticator.authenticate(credentials)
            except Unauthenticated as exc:
                log.info("websocket closed: credentials refused (%s)", exc)
                await self.websocket.close(code=4403, reason="Forbidden")
                return
            except Exception:  # Redis or Neo4j trouble: keep the connection, try next time
                log.warning("websocket credentials could not be checked again", exc_info=True)
                continue
            self.context.access.principal = principal

    def _access(self) -> PartnerAccess:
        return cast("PartnerAccess", self.view)
