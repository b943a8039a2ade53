"""A Redis cache of whole GraphQL answers for one-customer queries, keyed by context version.

Only a POST of a *query* whose single root field is ``customer(id: ...)`` is considered (the
mobile home screen, say). Its answer is stored as the bytes of ``data`` under
``parcours:resp:{customer}:v{version}:{digest}``, where ``version`` is the customer's context
version (``gateway.context_cache.version_key``, bumped by the event bus in the transaction that
publishes any event naming the customer, before the mutation answers) read *before* the query
runs, and ``digest`` hashes query, operation name and variables. So a read after a write never
sees the old answer, and an answer computed while a write raced lands under the old version and
is never read. Answers with errors, or where a channel system failed or answered stale
(``extensions.sources``), are never stored. Answers built with live channel data (prices, stock,
orders, in-store receipts: every source ``ok``) are stored for ``response_cache_live_ttl_s`` only
(0: never), since those systems change without telling us. What changes without naming the
customer (other customers' purchases behind recommendations, catalog names) can be up to
``response_cache_ttl_s`` old. Redis trouble never fails a request: it runs uncached.

A hit is served before authentication, so the cache only serves requests without credentials, and
only exists where anonymous access is allowed (``create_app`` does not install it otherwise):
partners are never served from it. It is also served before the view's checks, so it answers
only requests those checks pass (``application/json`` in UTF-8, well-formed ``extensions``, a
persisted-query hash this instance registered for that very text) and leaves the rest to the
view, which refuses them (415, 400) or registers the hash. (A body over the view's cap is never
answered from the cache: the view refused it, so nothing was stored under its key.)

This module never parses more than the operation's root, and never caches mutations.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Mapping

import orjson
import structlog
from aiohttp import web
from aiohttp.typedefs import Handler, Middleware
from graphql import FieldNode, GraphQLError, OperationDefinitionNode, OperationType, parse
from graphql.language import StringValueNode, VariableNode
from redis.asyncio import Redis
from redis.exceptions import RedisError

from gateway._json_body import is_json_in_utf8
from gateway.context_cache import CacheStats, version_key
from gateway.near_cache import NearCache
from gateway.persisted_queries import PersistedQueries, PersistedQueryRefused, requested_hash

log = structlog.get_logger("parcours.response_cache")
HIT_HEADER = "X-Parcours-Response-Cache"
KEY_PREFIX = "parcours:resp"
# One round trip: the customer's version, then the entry under it and its time to live (ms).
_LOOKUP = """
local version = redis.call('GET', KEYS[1]) or '0'
local key = ARGV[1] .. version .. ARGV[2]
return {version, redis.call('GET', key), redis.call('PTTL', key)}
"""
_ACCEPTED = {"", "*/*", "application/json"}


@functools.lru_cache(maxsize=256)
def customer_argument(query: str, operation_name: str | None) -> tuple[str, bool] | None:
    """``(name, True)`` for ``customer(id: $name)``, ``(value, False)`` for a literal id, or
    ``None`` when the operation is anything but a query of that one root field.

    Example:
        >>> customer_argument('query Q($c: ID!) { customer(id: $c) { id } }', None)
        ('c', True)
        >>> customer_argument('{ a: customer(id: "x") { id } b: product(sku: "s") { sku } }', None)
    """
    try:
        document = parse(query, no_location=True)
    except GraphQLError:
        return None
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if operation_name is not None:
        operations = [o for o in operations if o.name and o.name.value == operation_name]
    root = _single_customer_root(operations)
    value = root.arguments[0].value if root is not None and root.arguments else None
    if isinstance(value, VariableNode):
        return (value.name.value, True)
    if isinstance(value, StringValueNode):
        return (value.value, False)
    return None


def _single_customer_root(operations: list[OperationDefinitionNode]) -> FieldNode | None:
    if len(operations) != 1 or operations[0].operation != OperationType.QUERY:
        return None
    roots = operations[0].selection_set.selections
    if len(roots) != 1 or not isinstance(roots[0], FieldNode):
        return None
    root = roots[0]
    if root.name.value != "customer" or root.directives or len(root.arguments or ()) != 1:
        return None
    return root


def _customer(payload: Mapping[str, object]) -> str | None:
    query, name = payload.get("query"), payload.get("operationName")
    variables = payload.get("variables") or {}
    if not isinstance(query, str) or not isinstance(variables, dict):
        return None
    if name is not None and not isinstance(name, str):
        return None
    found = customer_argument(query, name)
    if found is None:
        return None
    value = variables.get(found[0]) if found[1] else found[0]
    return value if isinstance(value, str) and 0 < len(value) <= 200 else None


def _has_credentials(request: web.Request) -> bool:
    # A partner's answer depends on its scopes and consents, and its reads are audited: never
    # cached. Only anonymous callers (where they are allowed: dev, the bench) share answers.
    return "X-API-Key" in request.headers or "Authorization" in request.headers


def _digest(payload: Mapping[str, object]) -> str:
    material = orjson.dumps(
        [payload.get("query"), payload.get("operationName"), payload.get("variables") or {}],
        option=orjson.OPT_SORT_KEYS,
    )
    return hashlib.sha256(material).hexdigest()[:32]


class ResponseCache:
    """The middleware and its Redis: ``app.middlewares`` holds ``cache.middleware``."""

    def __init__(
        self,
        redis: Redis,
        ttl_s: int,
        diagnostics: bool,
        *,
        live_ttl_s: int = 0,
        persisted: PersistedQueries | None = None,
        near: NearCache | None = None,
    ) -> None:
        self._redis = redis
        self.near = near
        self.stats = CacheStats()
        self._persisted = persisted
        self._ttl_s = ttl_s
        self._live_ttl_s = min(live_ttl_s, ttl_s)
        self._diagnostics = diagnostics
        self._lookup = redis.register_script(_LOOKUP)

    def _as_run(self, payload: dict[str, object]) -> tuple[dict[str, object], bool] | None:
        """The payload as the view would run it (a persisted query's text filled in) and
        whether the cache may answer it, or None when the view must see it and its answer is
        not kept: ``extensions`` malformed, a hash refused or unknown here (the view fetches or
        refuses it; cached next time), or not this text's (a 400). A text sent with a hash not
        registered here is the view's to check and register, and only then kept: answered
        from the cache, it was never registered, so a client sending the hash alone (Apollo's
        protocol) was never found and every request cost two."""
        extensions = payload.get("extensions")
        if extensions is not None and not isinstance(extensions, dict):
            return None
        persisted = self._persisted
        try:
            digest = requested_hash(extensions) if persisted is not None else None
        except PersistedQueryRefused:
            return None
        if persisted is None or digest is None:
            return payload, True
        text = persisted.known(digest)
        query = payload.get("query")
        if text is None:
            return (payload, False) if isinstance(query, str) else None
        if query not in (None, text):
            return None
        return {**payload, "query": text}, True

    def _hit(self, data: bytes) -> web.Response:
        extensions = (
            b',"extensions":{"sources":[],"cypherRoundTrips":0}' if self._diagnostics else b""
        )
        body = b'{"data":' + data + extensions + b"}"
        return web.Response(body=body, content_type="application/json", headers={HIT_HEADER: "hit"})

    async def _cacheable(self, request: web.Request) -> tuple[str, dict[str, object], bool] | None:
        """The customer and payload of a request whose answer the cache may keep, and whether
        it may answer it too, else None."""
        if (
            _has_credentials(request)
            or request.method != "POST"
            or not is_json_in_utf8(request)
            or request.headers.get("Accept", "").strip() not in _ACCEPTED
        ):
            return None
        try:
            payload = orjson.loads(await request.read())
        except orjson.JSONDecodeError:
            return None
        if not isinstance(payload, dict):
            return None
        as_run = self._as_run(payload)
        if as_run is None:
            return None
        payload, answerable = as_run
        customer = _customer(payload)
        return None if customer is None else (customer, payload, answerable)

    async def handle(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        cacheable = await self._cacheable(request)
        if cacheable is None:
            return await handler(request)
        customer, payload, answerable = cacheable
        prefix = f"{KEY_PREFIX}:{customer}:v"
        suffix = f":{_digest(payload)}"
        near, generation = self.near, 0
        if near is not None:
            kept = near.answer(customer, suffix) if answerable else None
            if kept is not None:
                near.stats.hits += 1
                return self._hit(kept)
            near.stats.misses += 1
            generation = near.generation  # before the lookup: see NearCache.keep
        try:
            version, cached, ttl_ms = await self._lookup(
                keys=[version_key(customer)], args=[prefix, suffix]
            )
        except RedisError as exc:
            log.warning("response cache unavailable", error=str(exc))
            return await handler(request)
        if cached is not None and answerable:
            self.stats.hits += 1
            if near is not None:
                near.keep(customer, version, suffix, cached, int(ttl_ms), generation)
            return self._hit(cached)
        self.stats.misses += 1
        response = await handler(request)
        stored = await self._fill(response, prefix + version.decode() + suffix)
        if near is not None and stored is not None:
            near.keep(customer, version, suffix, stored[0], stored[1] * 1000, generation)
        response.headers[HIT_HEADER] = "miss"
        return response

    async def _fill(self, response: web.StreamResponse, key: str) -> tuple[bytes, int] | None:
        """Store a cacheable answer's ``data``: its bytes and TTL (s) once stored, else None."""
        if not isinstance(response, web.Response) or response.status != 200:
            return None
        if not isinstance(response.body, bytes):
            return None
        answer = orjson.loads(response.body)
        if answer.get("errors") or answer.get("data") is None:
            return None
        ttl_s = self._ttl_s
        sources = (answer.get("extensions") or {}).get("sources")
        if sources:
            # Live channel data: only when every system answered fresh, and only briefly.
            if any(source.get("outcome") != "ok" for source in sources) or not self._live_ttl_s:
                return None
            ttl_s = self._live_ttl_s
        data = orjson.dumps(answer["data"])
        try:
            await self._redis.set(key, data, ex=ttl_s)
        except RedisError as exc:
            log.warning("response cache not filled", error=str(exc))
            return None
        return data, ttl_s


def response_cache_middleware(app_key: web.AppKey[ResponseCache]) -> Middleware:
    """The aiohttp middleware; a no-op until ``cleanup_ctx`` put a cache at ``app_key``."""

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        cache = request.app.get(app_key)
        if cache is None or request.path != "/graphql":
            return await handler(request)
        return await cache.handle(request, handler)

    return middleware
