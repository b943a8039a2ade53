"""Automatic Persisted Queries (Apollo's protocol): a client sends its query's hash, not its text.

A request whose ``extensions.persistedQuery`` is ``{"version": 1, "sha256Hash": H}``:

- without a ``query``, runs the query registered under ``H``; an unknown ``H`` answers the error
  ``PersistedQueryNotFound`` (code ``PERSISTED_QUERY_NOT_FOUND``), and the client sends again
  with the text, which registers it;
- with a ``query``, ``H`` must be its SHA-256 (else 400 BAD_REQUEST); the text is registered
  once it has parsed and validated (as Apollo Server does: garbage sent with its own hash is
  never kept, nor served for that hash later).

Registered texts live in Redis (``parcours:apq:{H}``, ``persisted_query_ttl_s`` from the last
registration), so a text registered through one instance serves every instance. A hash names one
text forever, so each instance also keeps the texts it used in an in-process map bounded in
entries and in characters (a text may be as long as a request body): a known hash costs no Redis
round trip. Redis trouble only means a text cannot be found (the client sends
it again) or registered; it never fails a request that carries its text. GET requests work too
(``?extensions=...&variables=...``), which lets a CDN cache a query by its URL.
"""

from __future__ import annotations

import hashlib
import re
from collections import OrderedDict
from collections.abc import Mapping

import structlog
from redis.asyncio import Redis
from redis.exceptions import RedisError

log = structlog.get_logger("parcours.persisted_queries")
NOT_FOUND_MESSAGE = "PersistedQueryNotFound"  # what Apollo's clients look for
_HASH = re.compile(r"^[0-9a-f]{64}$")


class PersistedQueryNotFound(Exception):
    """No text is registered under the hash: the client should send it."""


class PersistedQueryRefused(Exception):
    """A malformed ``persistedQuery`` extension, or a hash that is not its query's."""


def redis_key(digest: str) -> str:
    return f"parcours:apq:{digest}"


def requested_hash(extensions: Mapping[str, object] | None) -> str | None:
    """The hash a request names, None when it does not use persisted queries.

    Example:
        >>> requested_hash({"persistedQuery": {"version": 1, "sha256Hash": "ab" * 32}}) == "ab" * 32
        True
        >>> requested_hash({"tracing": True}) is None
        True
    """
    persisted = (extensions or {}).get("persistedQuery")
    if persisted is None:
        return None
    if not isinstance(persisted, dict) or persisted.get("version") != 1:
        raise PersistedQueryRefused("`extensions.persistedQuery` must be {version: 1, sha256Hash}")
    digest = persisted.get("sha256Hash")
    if not isinstance(digest, str) or not _HASH.match(digest):
        raise PersistedQueryRefused("`persistedQuery.sha256Hash` must be 64 lowercase hex digits")
    return digest


class PersistedQueries:
    """The registry: Redis for every instance, a bounded map for this one."""

    def __init__(
        self, redis: Redis, ttl_s: int, known_max: int = 2048, known_max_chars: int = 8 << 20
    ) -> None:
        self._redis = redis
        self._ttl_s = ttl_s
        self._known: OrderedDict[str, str] = OrderedDict()
        self._known_max = known_max
        self._known_max_chars = known_max_chars
        self._known_chars = 0

    def known(self, digest: str) -> str | None:
        """The text under ``digest`` if this instance has used it (no I/O)."""
        text = self._known.get(digest)
        if text is not None:
            self._known.move_to_end(digest)
        return text

    async def resolve(
        self, query: str | None, extensions: Mapping[str, object] | None
    ) -> str | None:
        """The query text to run: ``query`` itself (whose hash must match; ``register`` it once
        it has validated), or the one registered under the hash."""
        digest = requested_hash(extensions)
        if digest is None:
            return query
        if query is not None:
            if hashlib.sha256(query.encode()).hexdigest() != digest:
                raise PersistedQueryRefused(
                    "`persistedQuery.sha256Hash` is not the query's SHA-256"
                )
            return query
        text = self.known(digest) or await self._fetch(digest)
        if text is None:
            raise PersistedQueryNotFound(digest)
        return text

    async def _fetch(self, digest: str) -> str | None:
        try:
            raw = await self._redis.get(redis_key(digest))
        except RedisError as exc:
            log.warning("persisted queries unavailable", error=str(exc))
            return None
        if raw is None:
            return None
        text = raw.decode() if isinstance(raw, bytes) else str(raw)
        self._remember(digest, text)
        return text

    async def register(self, digest: str, query: str) -> None:
        """Keep ``query`` under ``digest`` (its SHA-256, checked by ``resolve``)."""
        self._remember(digest, query)
        try:
            await self._redis.set(redis_key(digest), query, ex=self._ttl_s)
        except RedisError as exc:
            log.warning("persisted query not registered", error=str(exc))

    def _remember(self, digest: str, text: str) -> None:
        if digest not in self._known:
            self._known_chars += len(text)
        self._known[digest] = text
        self._known.move_to_end(digest)
        while len(self._known) > self._known_max or self._known_chars > self._known_max_chars:
            _, dropped = self._known.popitem(last=False)
            self._known_chars -= len(dropped)
