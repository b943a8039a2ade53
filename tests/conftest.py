"""Session fixtures: a real Neo4j and a real redis-server on free loopback ports in a temp dir,
the known fixture dataset loaded once, and a gateway served over real HTTP.

They never touch a developer's ``make up`` stack: other ports, other folders.
"""

from __future__ import annotations

import atexit
import contextlib
import socket
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from gateway.app import create_app
from gateway.services import (
    Neo4jConfig,
    Neo4jServer,
    RedisConfig,
    RedisServer,
    free_port,
)
from gateway.settings import CHANNEL_SYSTEMS, Settings
from graph import GraphDatabase, migrate
from graph.seed import after_load, load_customer_batch, load_reference
from tests import fixture_dataset

CACHE_DIR = Settings().cache_dir.resolve()

# Where a gateway under test reaches the channel systems unless a test gives it simulators: a
# port bound for the whole session and never listening, so every call is refused at once. The
# default ports (9101-9105) are a `make up` stack's simulators on a developer's machine.
_NO_SYSTEM = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
_NO_SYSTEM.bind(("127.0.0.1", 0))
atexit.register(_NO_SYSTEM.close)
NO_SYSTEM_URL = f"http://127.0.0.1:{_NO_SYSTEM.getsockname()[1]}"


@dataclass(frozen=True)
class Services:
    neo4j: Neo4jServer
    redis: RedisServer

    def settings(self, **overrides: Any) -> Settings:
        values: dict[str, Any] = {
            "neo4j_uri": self.neo4j.config.uri,
            "neo4j_auth": False,
            "redis_url": self.redis.config.url,
            "port": free_port(),
            "env": "dev",
            "co_purchase_refresh_minutes": 0,
            "idempotency_sweep_minutes": 0,
            **{f"{system}_url": NO_SYSTEM_URL for system in CHANNEL_SYSTEMS},
        }
        values.update(overrides)
        return Settings(**values)


def neo4j_server(home: Path, auth: bool = False) -> Neo4jServer:
    return Neo4jServer(
        Neo4jConfig(
            home=home,
            cache_dir=CACHE_DIR,
            version=Settings().neo4j_version,
            bolt_port=free_port(),
            auth=auth,
            heap="384m",
            pagecache="64m",
        )
    )


@pytest.fixture(scope="session")
def services(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Services]:
    home = tmp_path_factory.mktemp("services")
    neo4j = neo4j_server(home / "neo4j")
    redis = RedisServer(RedisConfig(home=home / "redis", port=free_port()))
    with ThreadPoolExecutor(max_workers=2) as pool:
        for future in [pool.submit(neo4j.start), pool.submit(redis.start)]:
            future.result()
    try:
        yield Services(neo4j=neo4j, redis=redis)
    finally:
        with contextlib.suppress(Exception):
            neo4j.stop()
        redis.stop()


@pytest.fixture(scope="session")
async def graph(services: Services) -> AsyncIterator[GraphDatabase]:
    db = GraphDatabase.connect(services.neo4j.config.uri, None)
    await migrate(db)
    await load_reference(db, fixture_dataset.reference())
    await load_customer_batch(db, fixture_dataset.batch())
    await after_load(db)
    try:
        yield db
    finally:
        await db.close()


@dataclass(frozen=True)
class Gateway:
    url: str
    session: aiohttp.ClientSession

    async def query(
        self,
        query: str,
        variables: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        async with self.session.post(
            f"{self.url}/graphql", json={"query": query, "variables": variables or {}}
        ) as r:
            assert r.status == 200, await r.text()
            body: dict[str, Any] = await r.json()
            return body


@contextlib.asynccontextmanager
async def running_gateway(settings: Settings) -> AsyncIterator[Gateway]:
    runner = web.AppRunner(create_app(settings))
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", settings.port)
    await site.start()
    timeout = aiohttp.ClientTimeout(total=30)
    try:
        async with aiohttp.ClientSession(timeout=timeout) as session:
            yield Gateway(url=f"http://127.0.0.1:{settings.port}", session=session)
    finally:
        await runner.cleanup()


@pytest.fixture(scope="session")
async def gateway(services: Services, graph: GraphDatabase) -> AsyncIterator[Gateway]:
    async with running_gateway(services.settings()) as running:
        yield running
