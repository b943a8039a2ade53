"""Gateway settings: one pydantic-settings class, read once from the environment and passed down.

No product package reads ``os.environ`` elsewhere (it is only passed on to the child processes
the services start; the simulators, no product package, read their own
``PARCOURS_SIMULATORS_WEBHOOK_SECRET``); everything that varies between a laptop, CI and
production is a field here, with the ``PARCOURS_`` prefix (``PARCOURS_NEO4J_URI``...), listed
with its default in docs/configuration.md (a test keeps the two the same).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

import structlog
from pydantic import AfterValidator, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from channels import contact, oms
from graph.analytics import AnalyticsPolicy
from graph.identities import DEFAULT_PHONE_REGION, PHONE_REGIONS, IdentityKind
from graph.ingest import IngestPolicy
from graph.journey_rules import DEFAULT_RULES, IntentRule, JourneyPolicy
from graph.migrations import MigrationInputs
from graph.stitching import DEFAULT_LIMITS, StitchPolicy

NEO4J_VERSION = "5.26.30"
# The channel systems, in the order of their simulator ports (base port + index).
CHANNEL_SYSTEMS = ("webshop", "stores", "oms", "contact", "mobile")


# Kinds whose identities a system is asked about all at once, and the most it takes per call.
_ASKED_IN_ONE_CALL = {
    IdentityKind.EMAIL: oms.MAX_EMAILS_PER_CALL,
    IdentityKind.CONTACT_CENTRE_ID: contact.MAX_CUSTOMERS_PER_CALL,
}


def _log_progress(message: str) -> None:
    structlog.get_logger("parcours.migrations").info("migration_progress", progress=message)


class MissingNeo4jPassword(RuntimeError):
    """Neo4j auth is on and neither the environment nor the state folder holds its password."""


def _phone_region(value: str) -> str:
    region = value.strip().upper()
    if region not in PHONE_REGIONS:
        raise ValueError(f"{value!r} is not a region libphonenumber knows (FR, BE, US...)")
    return region


_LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


def _log_level(value: str) -> str:
    level = value.strip().upper()
    if level not in _LOG_LEVELS:
        raise ValueError(f"{value!r} is not a log level ({', '.join(_LOG_LEVELS)})")
    return level


class Settings(BaseSettings):
    """Everything the gateway and its CLI need to know about their surroundings.

    Example:
        >>> Settings(env="production", port=9000).port
        9000
    """

    model_config = SettingsConfigDict(env_prefix="PARCOURS_", extra="ignore")

    env: Literal["dev", "production"] = "dev"
    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=1, le=65535)

    state_dir: Path = Path(".parcours/state")
    cache_dir: Path = Path(".parcours/cache")

    neo4j_version: str = NEO4J_VERSION
    neo4j_bolt_port: int = Field(default=7687, ge=1, le=65535)
    neo4j_uri: str | None = None
    neo4j_user: str = "neo4j"
    neo4j_password: SecretStr | None = None
    neo4j_auth: bool = True
    neo4j_database: str = "neo4j"
    neo4j_heap: str = "512m"
    neo4j_pagecache: str = "256m"
    neo4j_start_timeout_s: float = 90.0
    neo4j_query_timeout_s: float = 10.0
    # How long a new Neo4j connection's TCP connect may take: a Neo4j whose host drops the
    # packets costs each attempt this long, and a webhook's 503 must come before its sender
    # stops waiting (5 s).
    neo4j_connection_timeout_s: float = Field(default=1.0, gt=0, le=60)
    # The statement timeout of the busiest statements' first run at start (graph/warm_up.py):
    # their plans took seconds on a cold Neo4j. 0: not run.
    neo4j_warm_up_timeout_s: float = Field(default=60.0, ge=0, le=600)
    # `parcours seed --bulk`: the import tool's JVM heap (it asks for just over 1 GiB at 1M
    # customers) and its off-heap budget (bytes such as "4g", or a share of the free memory such
    # as "40%"; the tool's own default, 90 %, would crowd out whatever else runs on the machine;
    # 1M customers peak at 1.3 GiB).
    neo4j_import_heap: str = "2g"
    neo4j_import_max_memory: str = "40%"
    # `parcours seed --bulk`: how long Neo4j's first start on the store just imported may take
    # (the larger of this and neo4j_start_timeout_s): a large store keeps Bolt silent, then the
    # database offline, well past an ordinary start's 90 s while Neo4j opens it.
    neo4j_import_start_timeout_s: float = Field(default=1800.0, gt=0)

    redis_port: int = Field(default=6379, ge=1, le=65535)
    redis_url: str | None = None
    redis_timeout_s: float = 2.0
    redis_pool_size: int = Field(default=64, ge=1)

    channel_base_port: int = Field(default=9101, ge=1, le=65530)
    webshop_url: str | None = None
    stores_url: str | None = None
    oms_url: str | None = None
    contact_url: str | None = None
    mobile_url: str | None = None
    channel_call_timeout_s: float = Field(default=0.8, gt=0)
    channel_pool_size: int = Field(default=20, ge=1)
    channel_breaker_threshold: int = Field(default=5, ge=1)
    channel_breaker_ttl_s: float = Field(default=5.0, gt=0)
    channel_retries: int = Field(default=1, ge=0)
    stale_ttl_s: int = Field(default=86_400, ge=1)
    # Stale copies wait this long to be written together, one round trip (gateway/stale_store.py).
    stale_write_window_s: float = Field(default=0.01, ge=0, le=1)
    request_deadline_s: float = Field(default=1.0, gt=0)
    # Recommendations leave out what the OMS last said is sold out, heard at most this long ago
    # by this instance (channels/oms.py); 0: the OMS is asked on every request.
    recommendation_stock_max_age_s: float = Field(default=30.0, ge=0)
    simulator_latency_ms: float = Field(default=20.0, ge=0)
    simulator_jitter_ms: float = Field(default=10.0, ge=0)

    migrate_on_start: bool = True
    max_page_size: int = Field(default=100, ge=1)
    max_query_depth: int = Field(default=12, ge=1)
    max_aliases: int = Field(default=30, ge=1)
    max_tokens: int = Field(default=5000, ge=1)
    # The response's `extensions.cypherRoundTrips` (unset: on in dev, off in production).
    expose_diagnostics: bool | None = None
    log_level: Annotated[str, AfterValidator(_log_level)] = "INFO"

    # --- Hostile input (issue 6): GraphQL over HTTP limits ---
    # POST /graphql bodies above this are a 413 (webhooks keep their own 1 MiB). Fields an
    # operation selects once fragments are expanded, at its root and in all, counted before
    # validation. Introspection, "Did you mean" suggestions and GraphiQL follow `env`: on in
    # dev, off in production.
    graphql_max_body_bytes: int = Field(default=256 * 1024, ge=1024, le=1024 * 1024)
    max_root_fields: int = Field(default=20, ge=1)
    max_fields: int = Field(default=1000, ge=1)

    # Per channel (web, store...): the HMAC key its system signs webhooks with, or a list of keys
    # any of which is accepted, the one to sign with first (rotating a key without refusing the
    # posts of a sender not switched yet). JSON in the environment:
    # PARCOURS_WEBHOOK_SECRETS='{"store": "...", "web": ["new", "old"]}'.
    webhook_secrets: dict[str, SecretStr | list[SecretStr]] = Field(default_factory=dict)
    # How far a webhook's signed X-Parcours-Timestamp may be from this instance's clock, either
    # way, in seconds (gateway/webhook_signatures.py): a request captured once is refused past it.
    webhook_timestamp_tolerance_s: int = Field(default=300, ge=1, le=3600)
    # A webhook batch's transaction is tried again past failures that may pass (Neo4j
    # unreachable, a deadlock) for at most this long after the first failure, then answered 503
    # with Retry-After (the driver's back-off waits about 1 then 2 s: the default answers in about
    # 3 s; the driver's own 30 s outlasted senders' timeouts and held the request that long).
    ingest_max_retry_time_s: float = Field(default=2.0, ge=0, le=30)
    # How long each attempt of a webhook batch's transaction waits for a Neo4j connection,
    # opening one (its Bolt handshake) included; past it, the attempt fails as unavailable.
    ingest_connection_timeout_s: float = Field(default=1.0, gt=0, le=30)

    # Stitching guard rails: the most identifiers of a kind one customer may hold, for the kinds
    # that differ from graph.stitching.DEFAULT_LIMITS (PARCOURS_STITCH_LIMITS='{"email": 2}'), and
    # how carts merge: union keeping the higher quantity, or the anonymous cart replacing.
    # The OMS and the contact centre are asked about all of a customer's emails (contact-centre
    # ids) in one call, which holds at most 20: a higher limit for those kinds is refused.
    stitch_limits: dict[IdentityKind, Annotated[int, Field(ge=0)]] = Field(default_factory=dict)
    stitch_cart_rule: Literal["union_max", "anonymous_replaces"] = "union_max"
    # Where a phone written without its country code (06 12 34 56 78) is read, an ISO 3166 code:
    # identities store E.164. Every instance and `parcours migrate` must use the same one.
    phone_default_region: Annotated[str, AfterValidator(_phone_region)] = DEFAULT_PHONE_REGION
    # Journeys from events: the intent rules, first match wins (PARCOURS_JOURNEY_RULES, a JSON list
    # of objects with graph.journey_rules.IntentRule's fields), and how long after its last step
    # a journey is continued by events on the same channel.
    journey_rules: list[IntentRule] = Field(default_factory=lambda: list(DEFAULT_RULES))
    journey_session_minutes: int = Field(default=120, ge=1)

    # --- Real time (issue 5): the event bus, subscriptions over WebSocket, the context cache ---
    # The Redis stream every instance follows, its approximate cap, how long one XREAD blocks,
    # each subscription's queue (overflow → resync) and the quiet time after which a subscription
    # re-reads the truth anyway (the bound on staleness when an event was lost).
    bus_stream_key: str = "parcours:events"
    bus_stream_max_len: int = Field(default=10_000, ge=100)
    bus_block_ms: int = Field(default=1000, ge=10)
    bus_feed_queue: int = Field(default=256, ge=1)
    bus_resync_idle_s: float = Field(default=30.0, gt=0)
    # graphql-transport-ws: close 4408 without connection_init in time; WebSocket ping frames
    # every ws_heartbeat_s (a client that stops answering is dropped); subscriptions per
    # connection (one more gets an `error` message "Subscription limit reached").
    ws_connection_init_timeout_s: float = Field(default=5.0, gt=0)
    ws_heartbeat_s: float = Field(default=15.0, gt=0)
    ws_max_subscriptions: int = Field(default=20, ge=1)
    # A partner's WebSocket credentials are checked again this often (and when its token
    # expires): a revoked key or an expired token closes the connection with 4403
    # (gateway/ws_transport.py).
    ws_reauth_s: float = Field(default=30.0, gt=0)
    # Customer profiles cached in Redis under a per-customer version the bus bumps on each write.
    context_cache_enabled: bool = True
    context_cache_ttl_s: int = Field(default=300, ge=1)

    # --- Operations and analytics (issue 8) ---
    # /metrics: distinct GraphQL operation names kept as label values (later ones count as
    # "other"), and how far back this instance's failed channel calls count as "recent errors"
    # (a system with recent failures counts as degraded in analytics' incidents).
    metrics_max_operation_names: int = Field(default=200, ge=1)
    channel_failures_window_s: float = Field(default=60.0, gt=0)
    # Analytics: an assisted contact this soon after a failed web/app attempt was forced; which
    # channels' activity depends on each system, the systems every cart line depends on, and the
    # team owning each system (JSON objects in the environment, over graph.analytics' defaults).
    analytics_forced_window_minutes: int = Field(default=30, ge=1, le=24 * 60)
    analytics_system_channels: dict[str, list[str]] = Field(default_factory=dict)
    analytics_cart_systems: list[str] = Field(default_factory=lambda: ["webshop", "oms"])
    analytics_teams: dict[str, str] = Field(default_factory=dict)
    # OpenTelemetry traces (the optional [otel] extra): off by default; spans printed to stderr
    # (console) or kept for a provider configured elsewhere (none).
    otel_enabled: bool = False
    otel_exporter: Literal["console", "none"] = "console"
    otel_service_name: str = "parcours-gateway"

    # --- Performance (issue 7) ---
    # The benchmark's naive baseline: true switches off what makes the gateway fast, to measure
    # what it buys: the context cache, the parser and validation caches, the short path for plain
    # fields, and DataLoader batching and caching (every load is its own Cypher statement). For
    # `make bench` only; never in production. The settings after it are production ones.
    naive_baseline: bool = False
    # The context statements of concurrent requests (a customer with a history page and
    # recommendations, graph/context.py) run one per request while fewer than this many are
    # running, and beyond it share one statement (graph/shared_reads.py); 0: never shared.
    shared_context_reads_in_flight: int = Field(default=2, ge=0)
    # Whole answers of one-customer queries cached in Redis under the customer's context version
    # (gateway/response_cache.py): off by default; what does not name the customer (other
    # customers' purchases behind recommendations) may be up to the TTL old.
    response_cache_enabled: bool = False
    response_cache_ttl_s: int = Field(default=30, ge=1)
    # Answers built with live channel data (every source fresh): kept this long (0: never).
    response_cache_live_ttl_s: int = Field(default=5, ge=0)
    # A copy of those answers in each instance, which Redis's client-side-caching invalidations
    # keep coherent (gateway/near_cache.py): a hit without a Redis round trip. Off by default:
    # after a write through another instance, this one can serve the old answer until Redis's
    # invalidation reaches it (one message).
    response_cache_near_enabled: bool = False
    response_cache_near_max_entries: int = Field(default=10_000, ge=1)
    # The co-purchase table behind recommendations (graph/co_purchases.py) is rebuilt every so
    # many minutes by one instance at a time (a Redis lease); 0 switches the job off.
    co_purchase_refresh_minutes: int = Field(default=60, ge=0)
    # Expired idempotency keys are deleted every so many minutes by one instance at a time (a
    # Redis lease; gateway/key_sweep.py); 0 switches the job off.
    idempotency_sweep_minutes: int = Field(default=15, ge=0)
    # Automatic Persisted Queries (gateway/persisted_queries.py): a client may send its query's
    # SHA-256 instead of its text; texts are kept in Redis this long after their last registration.
    persisted_queries_enabled: bool = True
    persisted_query_ttl_s: int = Field(default=7 * 24 * 3600, ge=60)

    # --- Access (issue 6): partners, API keys, JWTs, rate limits ---
    # Callers without credentials get the all-scopes dev principal when allow_anonymous is on
    # (unset: on in dev, off in production). JWTs: HS256 with jwt_secret and/or RS256 with
    # jwt_public_key (PEM); iss and aud checked (and required) when set; exp always required.
    # Partners found by key hash are cached in Redis for partner_cache_ttl_s (revoke drops them).
    allow_anonymous: bool | None = None
    jwt_secret: SecretStr | None = None
    jwt_public_key: str | None = None
    jwt_issuer: str | None = None
    jwt_audience: str | None = None
    jwt_leeway_s: int = Field(default=0, ge=0, le=300)
    partner_cache_ttl_s: int = Field(default=30, ge=1)
    # Rate limits ("N/second|minute|hour", the `limits` notation), in Redis, per partner request
    # and per customer write. When Redis is down, each instance applies the local_* caps itself
    # (fail open, bounded) and retries Redis after rate_limit_redis_retry_s.
    rate_limit_partner: str = "600/minute"
    rate_limit_customer_writes: str = "60/minute"
    rate_limit_local_partner: str = "120/minute"
    rate_limit_local_customer_writes: str = "20/minute"
    rate_limit_redis_retry_s: float = Field(default=1.0, gt=0)

    @field_validator("stitch_limits")
    @classmethod
    def _one_call_per_system(cls, limits: dict[IdentityKind, int]) -> dict[IdentityKind, int]:
        for kind, most in _ASKED_IN_ONE_CALL.items():
            if limits.get(kind, 0) > most:
                raise ValueError(f"a customer may hold at most {most} of {kind.value}")
        return limits

    @property
    def is_dev(self) -> bool:
        return self.env == "dev"

    @property
    def diagnostics_exposed(self) -> bool:
        return self.is_dev if self.expose_diagnostics is None else self.expose_diagnostics

    @property
    def anonymous_allowed(self) -> bool:
        return self.is_dev if self.allow_anonymous is None else self.allow_anonymous

    @property
    def bolt_uri(self) -> str:
        return self.neo4j_uri or f"bolt://127.0.0.1:{self.neo4j_bolt_port}"

    @property
    def redis_dsn(self) -> str:
        return self.redis_url or f"redis://127.0.0.1:{self.redis_port}/0"

    def channel_url(self, system: str) -> str:
        """Where channel ``system`` listens: its own setting, else the simulator port convention."""
        explicit: str | None = getattr(self, f"{system}_url")
        if explicit:
            return explicit
        offset = CHANNEL_SYSTEMS.index(system)
        return f"http://127.0.0.1:{self.channel_base_port + offset}"

    def webhook_secret(self, channel: str) -> SecretStr | None:
        """The key ``channel``'s webhooks are to be signed with (the first of its keys), or
        ``None``: refuse them all.

        In ``dev``, a channel without a configured secret uses ``dev-webhook-secret-<channel>``,
        so the demo's simulators can post without set-up; in production it gets no default.
        """
        keys = self.webhook_keys(channel)
        return keys[0] if keys else None

    def webhook_keys(self, channel: str) -> tuple[SecretStr, ...]:
        """Every key a webhook of ``channel`` may be signed with (none: refuse them all)."""
        configured = self.webhook_secrets.get(channel)
        listed = configured if isinstance(configured, list) else [configured]
        keys = tuple(key for key in listed if key is not None and key.get_secret_value())
        if keys or not self.is_dev:
            return keys
        return (SecretStr(f"dev-webhook-secret-{channel}"),)

    def stitch_policy(self) -> StitchPolicy:
        """The stitching guard rails and cart rule these settings ask for."""
        return StitchPolicy(
            limits={**DEFAULT_LIMITS, **self.stitch_limits}, cart_rule=self.stitch_cart_rule
        )

    def migration_inputs(self) -> MigrationInputs:
        """What the graph migrations' data steps read from these settings; their progress is
        logged (``migration_progress``), so a long one at a gateway's start shows it is working."""
        return MigrationInputs(phone_region=self.phone_default_region, progress=_log_progress)

    def ingest_policy(self) -> IngestPolicy:
        """How ingested events stitch and follow journeys under these settings."""
        journeys = JourneyPolicy(tuple(self.journey_rules), self.journey_session_minutes)
        return IngestPolicy(
            stitch=self.stitch_policy(),
            journeys=journeys,
            max_retry_time_s=self.ingest_max_retry_time_s,
            connection_timeout_s=self.ingest_connection_timeout_s,
        )

    def analytics_policy(self) -> AnalyticsPolicy:
        """The analytics knobs: these settings over ``graph.analytics.AnalyticsPolicy``'s."""
        default = AnalyticsPolicy()
        return AnalyticsPolicy(
            forced_window_s=self.analytics_forced_window_minutes * 60,
            system_channels={
                **default.system_channels,
                **{k: tuple(v) for k, v in self.analytics_system_channels.items()},
            },
            cart_systems=tuple(self.analytics_cart_systems),
            teams={**default.teams, **self.analytics_teams},
        )

    @property
    def neo4j_password_file(self) -> Path:
        return self.state_dir / "neo4j" / "password"

    def neo4j_credentials(self) -> tuple[str, str] | None:
        """The Bolt auth pair, or ``None`` when Neo4j runs with auth off.

        The password comes from the environment when set, else from the file the project's own
        ``services start`` wrote when it generated one.
        """
        if not self.neo4j_auth:
            return None
        if self.neo4j_password is not None:
            return (self.neo4j_user, self.neo4j_password.get_secret_value())
        if self.neo4j_password_file.exists():
            return (self.neo4j_user, self.neo4j_password_file.read_text().strip())
        raise MissingNeo4jPassword(
            f"Neo4j auth is on but no password is known: set PARCOURS_NEO4J_PASSWORD or run "
            f"`parcours services start` (it writes {self.neo4j_password_file})."
        )
