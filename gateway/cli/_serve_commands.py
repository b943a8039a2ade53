"""``parcours serve`` runs one gateway; ``parcours up`` is the whole demo in one command."""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import Coroutine
from typing import Any

import typer
import uvloop
from aiohttp import web

from gateway.app import create_app
from gateway.cli._console import console, friendly_errors
from gateway.cli._graph_commands import run_seed
from gateway.logging import configure_logging
from gateway.services import LocalStack
from gateway.services._ports import ensure_port_free
from gateway.settings import Settings
from graph import GraphDatabase
from graph.customers import sample_customer_id


async def serve(settings: Settings, ready_message: str | None = None) -> None:
    """Run the gateway until SIGINT or SIGTERM, then close it cleanly."""
    runner = web.AppRunner(create_app(settings), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, settings.host, settings.port)
    await site.start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    if ready_message:
        console.print(ready_message, soft_wrap=True)
    try:
        await stop.wait()
    finally:
        await runner.cleanup()


def _run(coroutine: Coroutine[Any, Any, None]) -> None:
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        runner.run(coroutine)


def serve_command() -> None:
    """Run the gateway (Neo4j and Redis must be reachable)."""
    settings = Settings()
    configure_logging(settings.log_level, json=not settings.is_dev)
    with friendly_errors():
        ensure_port_free(settings.port, "The gateway", "PARCOURS_PORT")
    _run(serve(settings, f"Gateway on http://{settings.host}:{settings.port}/graphql"))


async def _sample(settings: Settings) -> str | None:
    db = GraphDatabase.connect(
        settings.bolt_uri, settings.neo4j_credentials(), settings.neo4j_database
    )
    try:
        return await sample_customer_id(db)
    finally:
        await db.close()


def _banner(settings: Settings, customer_id: str | None) -> str:
    base = f"http://{settings.host}:{settings.port}"
    cid = customer_id or "<a customer id>"
    return f"""
[bold green]Parcours is up.[/]
  GraphiQL   {base}/graphql
  Health     {base}/healthz · {base}/readyz
  Sample customer id: [bold]{cid}[/]

Try in GraphiQL:
  {{ customer(id: "{cid}") {{ displayName cart {{ version lines {{ quantity product {{ name }} }} }}
      history(first: 5) {{ edges {{ node {{ at channel type product {{ name }} }} }} }}
      recommendations(first: 3) {{ product {{ name }} reason }} }} }}

  {{ customerByIdentity(kind: EMAIL, value: "...") {{ id displayName
      identities {{ kind value }} }} }}

Or with curl:
  curl -s {base}/graphql -H 'content-type: application/json' \\
    -d '{{"query":"{{ customer(id: \\"{cid}\\") {{ displayName cart {{ version }} }} }}"}}'

Ctrl-C (or `make down` from another terminal) stops everything this command started.
"""


def up_command(
    customers: int = typer.Option(2000, min=1, help="Demo customers to seed on first run."),
    seed: int = typer.Option(42, help="PRNG seed of the demo dataset."),
) -> None:
    """Start services, migrate, seed (once), and serve the gateway until Ctrl-C."""
    settings = Settings()
    configure_logging(settings.log_level, json=False)
    stack = LocalStack(settings)
    already_running = all(service.pid for service in stack.status())
    with friendly_errors():
        ensure_port_free(settings.port, "The gateway", "PARCOURS_PORT")
        with console.status("Starting Redis and Neo4j (first run fetches Neo4j from Maven)…"):
            stack.start()
        console.print(f"Neo4j on {stack.neo4j.config.uri}, Redis on {stack.redis.config.url}")
    try:
        asyncio.run(run_seed(settings, customers, seed, force=False))
        customer_id = asyncio.run(_sample(settings))
        _run(serve(settings, _banner(settings, customer_id)))
    finally:
        if not already_running:
            with contextlib.suppress(Exception), console.status("Stopping Neo4j and Redis…"):
                stack.stop()
            console.print("Stopped Neo4j and Redis.")
