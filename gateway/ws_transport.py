"""graphql-transport-ws held to the same access rules as HTTP for as long as a connection lives.

Over HTTP every request is authenticated and counted against its partner's rate limit. A
WebSocket authenticates once, with its ``connection_init`` payload, then may live for hours, so:

- each operation a connection starts (a query, a mutation or a subscription) counts as one
  request of the partner's: over the limit that operation gets an ``error`` message coded
  RATE_LIMITED with ``retryAfter``, and the connection stays open (a subscription counts once,
  when it starts; the events it then receives do not count); past ``ws_max_subscriptions``
  operations in flight, one more gets an ``error`` coded RATE_LIMITED with ``limit`` (and is
  not counted);
- a partner's credentials are checked again every ``ws_reauth_s``, and when its token expires:
  a revoked key, an expired or otherwise refused token closes the connection with 4403
  Forbidden, and a change of the partner's scopes applies to the operations that follow;
- credentials that cannot be checked at ``connection_init`` (Neo4j down for a partner not
  cached) close it with 1013 Try Again Later (1011 for a fault of ours), the cause logged.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import Protocol, cast

import structlog
from graphql import GraphQLError
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
)
from strawberry.subscriptions.protocols.graphql_transport_ws.types import (
    ConnectionInitMessage,
    Message,
    SubscribeMessage,
)

from gateway.auth import DEPENDENCY_FAILURES, Authenticator, Credentials, Unauthenticated
from gateway.rate_limits import RateLimits
from resolvers import Context

TOO_MANY = "too many requests for this partner: retry later"
TOO_MANY_OPERATIONS = "Subscription limit reached: complete an operation of this connection first"
_EXPIRY_MARGIN_S = 0.05  # past a token's expiry, so the check made then refuses it
log = logging.getLogger("parcours.websocket")
auth_log = structlog.get_logger("parcours.auth")


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

    async def handle_message(self, message: Message) -> None:
        # Strawberry indexes a message as the protocol shapes it: anything else (an array, a
        # payload that is a string, an id that is a list...) raised out of the connection, which
        # was dropped without a close frame (1006) and with a traceback, not closed with 4400.
        problem = _malformed(message)
        if problem is not None:
            await self.handle_invalid_message(problem)
            return
        await super().handle_message(message)

    async def handle_connection_init(self, message: ConnectionInitMessage) -> None:
        if message.get("payload", {}) is None:
            # The protocol allows a null payload; Strawberry closed it with 4400 as invalid.
            message = {"type": "connection_init"}
        try:
            await super().handle_connection_init(message)
        except Exception as exc:  # credentials not checkable: not the caller's fault (not 4403)
            auth_log.exception("authentication failed", error=f"{type(exc).__name__}: {exc}"[:500])
            # RFC 6455: 1013 Try Again Later for a dependency down (clients retry), else 1011.
            code = 1013 if isinstance(exc, DEPENDENCY_FAILURES) else 1011
            await self.websocket.close(code=code, reason="Internal server error")
            return
        watched = self._watch is not None or not self.context.access.principal.is_partner
        if self.connection_acknowledged and not watched:
            credentials = Credentials.from_payload(self.context.connection_params or {})
            self._watch = asyncio.create_task(self._recheck(credentials))

    async def handle_subscribe(self, message: SubscribeMessage) -> None:
        # Unacknowledged connections and reused ids are closed by Strawberry: nothing to count.
        if self.connection_acknowledged and message["id"] not in self.operations:
            cap = self.max_subscriptions_per_connection
            if cap is not None and len(self.operations) >= cap:
                # Strawberry's own refusal carried no code; and refused, it is not counted.
                await self._refuse(message["id"], TOO_MANY_OPERATIONS, limit=cap)
                return
            principal = self.context.access.principal
            wait = await self._access().rate_limits.partner_request(principal)
            if wait is not None:
                await self._refuse(message["id"], TOO_MANY, retryAfter=wait)
                return
        await super().handle_subscribe(message)

    async def _refuse(self, operation_id: str, message: str, **extensions: object) -> None:
        """An ``error`` message for an operation not started, coded RATE_LIMITED."""
        coded = {"code": "RATE_LIMITED", **extensions, "requestId": self.context.request_id}
        error = GraphQLError(message, extensions=coded)
        await self.send_message({"id": operation_id, "type": "error", "payload": [error.formatted]})

    async def shutdown(self) -> None:
        if self._watch is not None:
            self._watch.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._watch
        await super().shutdown()

    async def _recheck(self, credentials: Credentials) -> None:
        access = self._access()
        expires_at = access.authenticator.expires_at(credentials)
        while True:
            delay = access.reauth_s
            if expires_at is not None:
                # A token is refused from its expiry on (RFC 7519 §4.1.4): checked again then,
                # not up to reauth_s later while the connection still starts operations.
                delay = min(delay, max(expires_at - time.time(), 0.0) + _EXPIRY_MARGIN_S)
            await asyncio.sleep(delay)
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


_PAYLOAD_MEMBERS = (
    ("query", str, "a string"),
    ("variables", dict, "an object or null"),
    ("operationName", str, "a string or null"),
    ("extensions", dict, "an object or null"),
)


def _malformed(message: object) -> str | None:
    """Why ``message`` is not a graphql-transport-ws message Strawberry can take, else None.

    Example:
        >>> _malformed({"type": "subscribe", "id": "1", "payload": {"query": 5}})
        '`payload.query` must be a string'
    """
    if not isinstance(message, dict):
        return "a message must be a JSON object"
    kind = message.get("type")
    if kind in ("subscribe", "complete") and not isinstance(message.get("id"), str):
        return f"a {kind} message needs a string `id`"
    if kind != "subscribe":
        return None
    payload = message.get("payload")
    if not isinstance(payload, dict):
        return "a subscribe message needs an object `payload`"
    for name, kind_of, described in _PAYLOAD_MEMBERS:
        value = payload.get(name)
        if (value is not None or name == "query") and not isinstance(value, kind_of):
            return f"`payload.{name}` must be {described}"
    return None
