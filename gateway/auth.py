"""Who is calling: API keys and JWTs turned into a ``Principal`` (or refused).

An API key (``X-API-Key``) is looked up by its SHA-256; a JWT (``Authorization: Bearer``) is
verified with PyJWT (HS256 with ``jwt_secret`` or RS256 with ``jwt_public_key``, picked by the
token's ``alg`` so one key type can never be used as the other; ``exp`` and ``sub`` required;
issuer and audience checked when configured) and names its partner in ``sub``. Either way the
partner must exist and not be revoked. Partners are cached in Redis by key hash and by id for
``partner_cache_ttl_s`` so a request costs no Neo4j round trip; ``forget_partner`` (called by
``parcours partners revoke``) deletes both entries, so revocation holds at once on every instance.

Without credentials: the dev principal when ``allow_anonymous`` is on, else UNAUTHENTICATED.
This module never logs a key or a token.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from typing import Any

import jwt
import neo4j
import orjson
import structlog
from aiohttp import web
from redis.asyncio import Redis
from redis.exceptions import RedisError

from gateway.settings import Settings
from gateway.state import GRAPH, REDIS, SETTINGS
from graph import GraphDatabase
from graph.partners import (
    KEY_PREFIX,
    Partner,
    hash_key,
    partner_by_id,
    partner_by_key_hash,
    partner_from_row,
    partner_to_row,
)
from resolvers.access import Principal

log = structlog.get_logger("parcours.auth")
_UNKNOWN = b"-"
# What ``authenticate`` raises when a dependency did not answer (Neo4j for a partner not cached):
# the caller may try again (HTTP 503, WebSocket 1013), unlike a fault of ours.
DEPENDENCY_FAILURES = (
    neo4j.exceptions.DriverError,
    neo4j.exceptions.TransientError,
    RedisError,
    OSError,
    TimeoutError,
)


class Unauthenticated(Exception):
    """The credentials are missing, malformed, expired, forged, unknown or revoked."""


@dataclass(frozen=True)
class Credentials:
    api_key: str | None = None
    bearer: str | None = None

    @classmethod
    def from_headers(cls, headers: Mapping[str, str]) -> Credentials:
        return cls(headers.get("X-API-Key"), _bearer(headers.get("Authorization")))

    @classmethod
    def from_payload(cls, payload: Mapping[str, object]) -> Credentials:
        """From a graphql-transport-ws ``connection_init`` payload: ``apiKey`` or
        ``authorization`` (``Bearer <JWT>``), also accepted under their header names."""
        key = payload.get("apiKey", payload.get("X-API-Key"))
        auth = payload.get("authorization", payload.get("Authorization"))
        return cls(
            key if isinstance(key, str) else None,
            _bearer(auth if isinstance(auth, str) else None),
        )

    @property
    def empty(self) -> bool:
        return self.api_key is None and self.bearer is None


def _bearer(header: str | None) -> str | None:
    if header is None:
        return None
    scheme, _, token = header.strip().partition(" ")
    return token.strip() if scheme.lower() == "bearer" else header


def challenge(credentials: Credentials, refusal: Unauthenticated) -> str:
    """The ``WWW-Authenticate`` value a 401 must carry (RFC 9110 §15.5.2), in RFC 6750's words:
    ``invalid_token`` when the refused credential was a bearer token.

    Example:
        >>> challenge(Credentials(), Unauthenticated("credentials are required"))
        'Bearer realm="parcours"'
        >>> challenge(Credentials(bearer="x"), Unauthenticated("the token has expired"))
        'Bearer realm="parcours", error="invalid_token", error_description="the token has expired"'
    """
    value = 'Bearer realm="parcours"'
    if credentials.api_key is None and credentials.bearer is not None:
        description = str(refusal).replace('"', "'").replace("\\", "/")
        value += f', error="invalid_token", error_description="{description}"'
    return value


def key_cache_key(key_hash: str) -> str:
    return f"parcours:partner:key:{key_hash}"


def id_cache_key(partner_id: str) -> str:
    return f"parcours:partner:id:{partner_id}"


async def forget_partner(redis: Redis, partner: Partner) -> None:
    """Drop the cached partner, so the next request re-reads it (revocation is immediate)."""
    await redis.delete(key_cache_key(partner.key_hash), id_cache_key(partner.id))


class Authenticator:
    """Credentials → Principal, for HTTP requests and WebSocket ``connection_init``.

    Example:
        >>> async def who(auth: Authenticator) -> Principal:
        ...     return await auth.authenticate(Credentials(api_key="prc_..."))
    """

    def __init__(self, settings: Settings, graph: GraphDatabase, redis: Redis) -> None:
        self._settings = settings
        self._graph = graph
        self._redis = redis

    async def authenticate(self, credentials: Credentials) -> Principal:
        if credentials.api_key is not None:
            partner = await self._by_key(credentials.api_key)
            return _principal(partner, frozenset(partner.scopes))
        if credentials.bearer is not None:
            claims = self._verify(credentials.bearer)
            partner = await self._by_id(str(claims["sub"]))
            return _principal(partner, _scopes(claims) & frozenset(partner.scopes))
        if self._settings.anonymous_allowed:
            return Principal.dev()
        raise Unauthenticated("credentials are required: an X-API-Key or a Bearer JWT")

    def expires_at(self, credentials: Credentials) -> float | None:
        """When the bearer token of authenticated ``credentials`` stops being accepted (epoch
        seconds: ``exp`` plus the leeway), None for an API key."""
        if credentials.api_key is not None or credentials.bearer is None:
            return None
        try:
            claims = jwt.decode(credentials.bearer, options={"verify_signature": False})
        except jwt.InvalidTokenError:
            return None
        exp = claims.get("exp")
        if not isinstance(exp, int | float):
            return None
        return float(exp) + self._settings.jwt_leeway_s

    async def _by_key(self, key: str) -> Partner:
        if not key.startswith(KEY_PREFIX) or len(key) > 128:
            raise Unauthenticated("unknown or revoked API key")
        digest = hash_key(key)
        partner = await self._cached(
            key_cache_key(digest), lambda: partner_by_key_hash(self._graph, digest)
        )
        if partner is None or partner.revoked:
            raise Unauthenticated("unknown or revoked API key")
        return partner

    async def _by_id(self, partner_id: str) -> Partner:
        partner = await self._cached(
            id_cache_key(partner_id), lambda: partner_by_id(self._graph, partner_id)
        )
        if partner is None or partner.revoked:
            raise Unauthenticated("the token's partner is unknown or revoked")
        return partner

    async def _cached(self, cache_key: str, load: Any) -> Partner | None:
        try:
            cached = await self._redis.get(cache_key)
        except (RedisError, OSError) as exc:
            log.warning("partner cache unavailable", error=type(exc).__name__)
            found: Partner | None = await load()
            return found
        if cached == _UNKNOWN:
            return None
        if cached is not None:
            return partner_from_row(orjson.loads(cached))
        found = await load()
        value = _UNKNOWN if found is None else orjson.dumps(partner_to_row(found))
        try:
            await self._redis.set(cache_key, value, ex=self._settings.partner_cache_ttl_s)
        except (RedisError, OSError) as exc:
            log.warning("partner cache unavailable", error=type(exc).__name__)
        return found

    def _verify(self, token: str) -> dict[str, Any]:
        settings = self._settings
        try:
            algorithm = jwt.get_unverified_header(token).get("alg")
            key: str
            if (
                algorithm == "HS256"
                and settings.jwt_secret
                and settings.jwt_secret.get_secret_value()
            ):
                key = settings.jwt_secret.get_secret_value()
            elif algorithm == "RS256" and settings.jwt_public_key:
                key = settings.jwt_public_key
            else:
                raise Unauthenticated("the token's algorithm is not accepted")
            required = ["exp", "sub"]
            required += ["iss"] if settings.jwt_issuer else []
            required += ["aud"] if settings.jwt_audience else []
            claims: dict[str, Any] = jwt.decode(
                token,
                key,
                algorithms=[algorithm],
                issuer=settings.jwt_issuer,
                audience=settings.jwt_audience,
                options={"require": required},
                leeway=settings.jwt_leeway_s,
            )
        except jwt.ExpiredSignatureError as exc:
            raise Unauthenticated("the token has expired") from exc
        except jwt.InvalidTokenError as exc:
            raise Unauthenticated("the token is not valid") from exc
        return claims


AUTHENTICATOR = web.AppKey("authenticator", Authenticator)


async def authenticator(app: web.Application) -> AsyncIterator[None]:
    """``cleanup_ctx`` step (after the graph and Redis): the instance's authenticator."""
    app[AUTHENTICATOR] = Authenticator(app[SETTINGS], app[GRAPH], app[REDIS])
    yield


def _scopes(claims: Mapping[str, Any]) -> frozenset[str]:
    scope = claims.get("scope", "")
    if isinstance(scope, str):
        return frozenset(scope.split())
    if isinstance(scope, list):
        return frozenset(str(s) for s in scope)
    return frozenset()


def _principal(partner: Partner, scopes: frozenset[str]) -> Principal:
    return Principal(
        partner_id=partner.id,
        scopes=scopes,
        purposes=frozenset(partner.purposes),
        customer_restriction=partner.customer_restriction,
    )
