"""Where a benchmark runs: the machine and versions it reports, and the processes it pins.

The gateway under test is a ``parcours serve`` process the bench starts itself with
``taskset -c 0`` (one core); the generator, Neo4j, Redis and the simulators are moved to core 1.
Neo4j, Redis and the simulators are the ones ``make up`` started (default ports). Every process
this module starts, it stops. It never touches processes it cannot name by pid.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import platform
import shutil
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator, Mapping
from importlib.metadata import version
from pathlib import Path

import aiohttp
from redis.asyncio import Redis

from gateway.services import LocalStack
from gateway.settings import Settings
from graph import GraphDatabase

GATEWAY_CORE = 0
OTHERS_CORE = 1
_ROOT = Path(__file__).resolve().parent.parent


def load_average() -> list[float]:
    return [round(value, 2) for value in os.getloadavg()]


def _cpu_model() -> str:
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def _git(*args: str) -> str:
    git = shutil.which("git")
    if git is None:
        return "unknown"
    done = subprocess.run([git, *args], cwd=_ROOT, capture_output=True, text=True, check=False)
    return done.stdout.strip() or "unknown"


async def machine(settings: Settings) -> dict[str, object]:
    """CPU, cores, Python, library and service versions, the git commit, the load average."""
    db = GraphDatabase.connect(
        settings.bolt_uri, settings.neo4j_credentials(), settings.neo4j_database
    )
    try:
        rows = await db.read("CALL dbms.components() YIELD name, versions RETURN versions[0] AS v")
        neo4j_server = str(rows[0]["v"]) if rows else "unknown"
    finally:
        await db.close()
    redis = Redis.from_url(settings.redis_dsn, socket_timeout=2)
    try:
        info = await redis.info("server")
        redis_server = str(info.get("redis_version", "unknown"))
    finally:
        await redis.aclose()
    return {
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "neo4jServer": neo4j_server,
        "redisServer": redis_server,
        "libraries": {
            name: version(name)
            for name in ("strawberry-graphql", "graphql-core", "aiohttp", "neo4j", "redis")
        },
        "gitCommit": _git("rev-parse", "--short", "HEAD"),
        # _git says "unknown" for an empty output: a clean tree.
        "gitDirty": _git("status", "--porcelain", "--untracked-files=no") != "unknown",
        "loadAverage": load_average(),
    }


def _taskset(cores: str, pid: int) -> None:
    taskset = shutil.which("taskset")
    if taskset is None:
        return
    subprocess.run([taskset, "-a", "-c", "-p", cores, str(pid)], capture_output=True, check=False)


@contextlib.contextmanager
def everything_else_pinned(settings: Settings) -> Iterator[list[str]]:
    """Move this process and the ``make up`` services to the core the gateway does not use,
    and give the services every core back afterwards (seeding, say, wants both)."""
    with contextlib.suppress(OSError):
        os.sched_setaffinity(0, {OTHERS_CORE})
    services = [service for service in LocalStack(settings).status() if service.pid]
    for service in services:
        _taskset(str(OTHERS_CORE), service.pid or 0)
    try:
        yield ["generator", *(service.name for service in services)]
    finally:
        every = ",".join(str(core) for core in range(os.cpu_count() or 1))
        for service in services:
            _taskset(every, service.pid or 0)


async def wait_healthy(url: str, timeout_s: float = 60.0) -> None:
    deadline = time.monotonic() + timeout_s
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=2)) as session:
        while time.monotonic() < deadline:
            with contextlib.suppress(aiohttp.ClientError, TimeoutError):
                async with session.get(url) as response:
                    if response.status == 200:
                        return
            await asyncio.sleep(0.2)
    raise TimeoutError(f"{url} did not become healthy within {timeout_s:.0f} s")


@contextlib.asynccontextmanager
async def pinned_process(
    argv: list[str], health_url: str, env: Mapping[str, str], core: int = GATEWAY_CORE
) -> AsyncIterator[int]:
    """Run ``argv`` pinned to ``core`` until the block ends; yields its pid once healthy."""
    taskset = shutil.which("taskset")
    command = [taskset, "-c", str(core), *argv] if taskset else argv
    process = await asyncio.create_subprocess_exec(
        *command, cwd=_ROOT, env={**os.environ, **env}, stdout=asyncio.subprocess.DEVNULL
    )
    try:
        await wait_healthy(health_url)
        yield process.pid
    finally:
        if process.returncode is None:
            process.terminate()
            try:
                await asyncio.wait_for(process.wait(), timeout=20)
            except TimeoutError:
                process.kill()
                await asyncio.wait_for(process.wait(), timeout=5)


def gateway_process(port: int, settings_env: Mapping[str, str]) -> AsyncIterator[int]:
    """A ``parcours serve`` on ``port`` with extra ``PARCOURS_*`` settings, pinned to core 0."""
    parcours = str(Path(sys.executable).parent / "parcours")
    env = {
        "PARCOURS_PORT": str(port),
        "PARCOURS_MIGRATE_ON_START": "false",
        "PARCOURS_LOG_LEVEL": "WARNING",
        **settings_env,
    }
    return pinned_process([parcours, "serve"], f"http://127.0.0.1:{port}/healthz", env)


def trivial_process(port: int) -> AsyncIterator[int]:
    """The tiny aiohttp server of the generator self-check, pinned to core 0."""
    argv = [sys.executable, "-m", "bench.trivial", "--port", str(port)]
    return pinned_process(argv, f"http://127.0.0.1:{port}/ok", {})
