"""The near cache's tracking connection is bounded in time from its first byte: a Redis that
accepts the connection but never answers is given up on, and tried again, instead of holding the
tracking task (and the near cache off) for good."""

import asyncio
import os
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest
from redis.asyncio import Redis

from gateway.near_cache import NearCache, TrackingLost
from gateway.services import RedisConfig, RedisServer, free_port


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    server = RedisServer(RedisConfig(home=tmp_path / "redis", port=free_port()))
    server.start()
    try:
        yield server
    finally:
        pid = server.running_pid()
        if pid is not None:
            os.kill(pid, signal.SIGCONT)
        server.stop()


async def test_a_redis_that_stops_answering_during_the_tracking_handshake_is_given_up_on(
    redis_server: RedisServer,
) -> None:
    near = NearCache(10, health_interval_s=0.5)
    # As the gateway makes it: a connect timeout, no read timeout (its reads wait for messages).
    client = Redis.from_url(redis_server.config.url, protocol=2, socket_connect_timeout=1.0)
    try:
        await client.ping()  # a connection in the pool, handshake done: the tracking takes it
        pid = redis_server.running_pid()
        assert pid is not None
        os.kill(pid, signal.SIGSTOP)  # the kernel keeps the socket; Redis answers nothing more
        # The outer bound only stops the test: a hanging handshake ends in TimeoutError here.
        with pytest.raises(TrackingLost, match="tracking handshake"):
            await asyncio.wait_for(near._track(client), timeout=10)
        assert not near.live
    finally:
        await client.aclose()
