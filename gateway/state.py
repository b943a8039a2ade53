"""Typed application state: the long-lived resources one gateway process holds."""

from __future__ import annotations

import weakref

from aiohttp import web
from redis.asyncio import Redis

from channels import ChannelSystems
from gateway.bus import RedisEventBus
from gateway.context_cache import RedisProfileCache
from gateway.persisted_queries import PersistedQueries
from gateway.response_cache import ResponseCache
from gateway.settings import Settings
from gateway.stale_store import RedisStaleStore
from graph import GraphDatabase, RoundTripCounter
from graph.context import ContextRequest, CustomerContext
from graph.shared_reads import SharedReads

SETTINGS = web.AppKey("settings", Settings)
GRAPH = web.AppKey("graph", GraphDatabase)
REDIS = web.AppKey("redis", Redis)
CONTEXT_READS = web.AppKey("context_reads", SharedReads[ContextRequest, CustomerContext])
SYSTEMS = web.AppKey("channel_systems", ChannelSystems)
BUS = web.AppKey("event_bus", RedisEventBus)
CONTEXT_CACHE = web.AppKey("context_cache", RedisProfileCache)
STALE_STORE = web.AppKey("stale_store", RedisStaleStore)
RESPONSE_CACHE = web.AppKey("response_cache", ResponseCache)
PERSISTED_QUERIES = web.AppKey("persisted_queries", PersistedQueries)
REQUEST_ID = web.RequestKey("request_id", str)
ROUND_TRIPS = web.RequestKey("round_trips", RoundTripCounter)
# The WebSockets this instance serves, closed with 1001 Going Away when it shuts down.
OPEN_WEBSOCKETS = web.AppKey("open_websockets", weakref.WeakSet[web.WebSocketResponse])
