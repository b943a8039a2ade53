"""``parcours services start|stop|status|prepare``: the local Neo4j and Redis of the demo."""

from __future__ import annotations

import time

import typer

from gateway.cli._console import console, friendly_errors, load_settings
from gateway.services import (
    LocalStack,
    ensure_chromium,
    ensure_redis_binary,
    resolve_neo4j_artifacts,
)
from gateway.services._neo4j_artifacts import check_java

app = typer.Typer(help="Start, stop and inspect the local Neo4j and Redis.", no_args_is_help=True)


@app.command("prepare")
def prepare() -> None:
    """Fetch what the services and tests need (Neo4j jars, redis-server, Chromium) and exit."""
    settings = load_settings()
    with friendly_errors():
        check_java()
        started = time.monotonic()
        with console.status(f"Resolving Neo4j {settings.neo4j_version} from Maven Central…"):
            lib = resolve_neo4j_artifacts(settings.cache_dir.resolve(), settings.neo4j_version)
        console.print(
            f"Neo4j {settings.neo4j_version} jars in {lib} ({time.monotonic() - started:.1f} s)"
        )
        console.print(f"redis-server at {ensure_redis_binary()}")
        with console.status("Checking Chromium (the console's browser tests)…"):
            chromium = ensure_chromium()
        console.print(f"chromium at {chromium}")


@app.command("start")
def start() -> None:
    """Start Neo4j and Redis (or confirm they already run) and wait until they answer."""
    settings = load_settings()
    stack = LocalStack(settings)
    with friendly_errors():
        started = time.monotonic()
        with console.status("Starting Redis and Neo4j…"):
            stack.start()
        console.print(
            f"Neo4j on {stack.neo4j.config.uri}, Redis on {stack.redis.config.url} "
            f"(ready in {time.monotonic() - started:.1f} s)"
        )


@app.command("stop")
def stop() -> None:
    """Stop the Neo4j and Redis that ``start`` launched."""
    stack = LocalStack(load_settings())
    with friendly_errors():
        stack.stop()
    console.print("Neo4j and Redis stopped.")


@app.command("status")
def status() -> None:
    """Say which of our services run, with their pid and address."""
    for service in LocalStack(load_settings()).status():
        state = f"running (pid {service.pid})" if service.pid else "stopped"
        console.print(f"{service.name:<6} {state:<22} {service.address}")
