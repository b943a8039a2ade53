"""GDPR at the gateway: the export as a download, and purging the Redis caches on erasure.

``GET /admin/customers/{id}/export`` answers the same document as the ``exportCustomer`` query,
as an attachment. :class:`RedisCachePurge` deletes every key Parcours keeps for a customer: the
context-cache version and entries (``parcours:ctxver:{id}``, ``parcours:ctx:{id}:v*``), the
whole answers of the response cache (``parcours:resp:{id}:*``) and the
channel answers kept for stale fallback under each of their identifiers
(``parcours:stale:{system}:{what}:{value}[:...]``, the value alone or one of a comma-joined
list), and the customer's past events on the bus
stream (entries whose event names the customer, removed with XDEL; the stream is capped, so this
reads at most its cap). This module must never log an identifier.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import cast

import orjson
from aiohttp import web
from redis.asyncio import Redis

from channels import ChannelSystems
from gateway.auth import AUTHENTICATOR, Credentials, Unauthenticated, challenge
from gateway.context_cache import version_key
from gateway.response_cache import KEY_PREFIX as RESPONSE_PREFIX
from gateway.stale_store import KEY_PREFIX as STALE_PREFIX
from gateway.state import GRAPH, REQUEST_ID, SETTINGS, SYSTEMS
from graph import audit
from resolvers.privacy.dossier import export_document

_SCAN_COUNT = 500
_GLOB_SPECIAL = re.compile(r"([*?\[\]\\])")
_SAFE_NAME = re.compile(r"[^A-Za-z0-9_.\-]")


def glob_escape(value: str) -> str:
    """``value`` matched literally in a Redis ``SCAN MATCH`` pattern.

    Example:
        >>> glob_escape("a*b?[c]")
        'a\\\\*b\\\\?\\\\[c\\\\]'
    """
    return _GLOB_SPECIAL.sub(r"\\\1", value)


def purge_patterns(customer_id: str, identifiers: Sequence[tuple[str, str]]) -> list[str]:
    """The ``SCAN MATCH`` patterns of every key held for the customer and its identifiers."""
    escaped_id = glob_escape(customer_id)
    patterns = [
        glob_escape(version_key(customer_id)),
        f"parcours:ctx:{escaped_id}:*",
        # Whole answers (gateway/response_cache.py): deleting the version sends it back to 0,
        # where an answer cached before the customer's first change would be served again.
        f"{RESPONSE_PREFIX}:{escaped_id}:*",
    ]
    for _, value in identifiers:
        # A value is one part of its key (``:`` around it), or one of the comma-joined values
        # of a list asked in one call (``orders:a@x,b@y:1:10``, ``tickets:CC1,CC2::1:10``).
        escaped = glob_escape(value)
        patterns += [f"{STALE_PREFIX}:*[:,]{escaped}", f"{STALE_PREFIX}:*[:,]{escaped}[:,]*"]
    return patterns


class RedisCachePurge:
    """Deletes a customer's cache keys and bus events (see the module docstring); raises when
    Redis fails.

    Example:
        >>> purge = RedisCachePurge(Redis(), "parcours:events")  # doctest: +SKIP
    """

    def __init__(
        self, redis: Redis, stream_key: str, systems: ChannelSystems | None = None
    ) -> None:
        self._redis = redis
        self._stream_key = stream_key
        self._systems = systems

    async def purge(self, customer_id: str, identifiers: Sequence[tuple[str, str]]) -> int:
        if self._systems is not None:
            # Stale copies are written after their answers, in batches: the customer's copies
            # still on their way from this instance land first, then go with the rest.
            await self._systems.stale_copies_written()
        # The version is written, then deleted, even where it did not exist: Redis tells the
        # instances tracking it (gateway/near_cache.py) only about keys that changed, and each
        # drops its copies of the customer's answers when told.
        version = version_key(customer_id)
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.exists(version)
            pipe.set(version, 0)
            pipe.delete(version)
            existed, _, _ = await pipe.execute()
        deleted = int(existed)
        for pattern in purge_patterns(customer_id, identifiers):
            keys = [key async for key in self._redis.scan_iter(match=pattern, count=_SCAN_COUNT)]
            if keys:
                deleted += int(await self._redis.delete(*keys))
        return deleted + await self._purge_events(customer_id)

    async def _purge_events(self, customer_id: str) -> int:
        naming: list[bytes] = []
        start = "-"
        while True:
            found = await self._redis.xrange(self._stream_key, min=start, count=_SCAN_COUNT)
            entries = cast(list[tuple[bytes, dict[bytes, bytes]]], found or [])
            for entry_id, fields in entries:
                if _names(fields.get(b"event", b""), customer_id):
                    naming.append(entry_id)
            if len(entries) < _SCAN_COUNT:
                break
            start = "(" + entries[-1][0].decode()
        return int(await self._redis.xdel(self._stream_key, *naming)) if naming else 0


def _error(
    request: web.Request,
    status: int,
    code: str,
    message: str,
    headers: dict[str, str] | None = None,
) -> web.Response:
    error = {"message": message, "extensions": {"code": code, "requestId": request.get(REQUEST_ID)}}
    return web.json_response({"errors": [error]}, status=status, dumps=_dumps, headers=headers)


async def export_customer(request: web.Request) -> web.Response:
    """``GET /admin/customers/{id}/export``: the customer's export document, as a download.

    The same credentials as ``/graphql``; the ``admin`` scope is required (401 without valid
    credentials, 403 without the scope) and a partner's export is written to the audit log.
    """
    credentials = Credentials.from_headers(request.headers)
    try:
        principal = await request.app[AUTHENTICATOR].authenticate(credentials)
    except Unauthenticated as exc:
        headers = {"WWW-Authenticate": challenge(credentials, exc)}
        return _error(request, 401, "UNAUTHENTICATED", str(exc), headers)
    if not principal.has("admin"):
        return _error(request, 403, "FORBIDDEN", "the export needs the `admin` scope")
    customer_id = request.match_info["id"]
    if principal.partner_id is not None:
        record = audit.AuditRecord(principal.partner_id, "admin", customer_id, ("exportDownload",))
        await audit.write_entries(request.app[GRAPH], [record])
    settings = request.app[SETTINGS]
    document = await export_document(
        request.app[GRAPH], request.app[SYSTEMS], customer_id, settings.request_deadline_s
    )
    if document is None:
        return _error(request, 404, "NOT_FOUND", "no customer with this id")
    filename = f"customer-{_SAFE_NAME.sub('_', customer_id)[:80]}.json"
    return web.Response(
        body=orjson.dumps(document, option=orjson.OPT_INDENT_2),
        content_type="application/json",
        charset="utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def _names(raw: bytes, customer_id: str) -> bool:
    try:
        event = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return False
    return isinstance(event, dict) and event.get("customerId") == customer_id


def _dumps(value: object) -> str:
    return orjson.dumps(value).decode()
