"""``parcours serve`` runs one gateway; ``parcours up`` is the whole demo in one command."""

from __future__ import annotations

import asyncio
import gc
import os
import signal
from collections.abc import Callable, Coroutine
from pathlib import Path
from types import FrameType
from typing import Any, NoReturn

import typer
import uvloop
from aiohttp import web
from rich.markup import escape

from gateway.app import create_app
from gateway.cli._console import console, friendly_errors, load_settings
from gateway.cli._graph_commands import run_seed
from gateway.logging import configure_logging
from gateway.services import LocalStack, Neo4jServer, RedisServer, ServiceError
from gateway.services._ports import ensure_port_free
from gateway.services._process import read_pid, terminate
from gateway.settings import Settings
from graph import GraphDatabase
from graph.customers import sample_customer


def freeze_startup_objects() -> None:
    """Keep what exists once the gateway is ready (modules, the schema, pools: ~150k objects) out
    of the cyclic collector's full collections, which scanned it all and paused every request in
    flight for 36 to 97 ms a few times a minute under load; requests' own objects are still
    collected."""
    gc.collect()
    gc.freeze()


async def serve(settings: Settings, ready_message: str | None = None) -> None:
    """Run the gateway until SIGINT or SIGTERM, then close it cleanly."""
    runner = web.AppRunner(create_app(settings), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, settings.host, settings.port)
    try:
        await site.start()
    except OSError as exc:
        # Taken since the check before start (or bound without listening, which it cannot see).
        await runner.cleanup()
        raise ServiceError(
            f"The gateway cannot listen on {settings.host}:{settings.port} ({exc.strerror})",
            hint=f"stop what holds it (`ss -ltnp 'sport = :{settings.port}'`) or set "
            "PARCOURS_PORT (PARCOURS_HOST for the address)",
        ) from exc
    freeze_startup_objects()
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
    settings = load_settings()
    configure_logging(settings.log_level, json=not settings.is_dev)
    with friendly_errors(settings):
        ensure_port_free(settings.port, "The gateway", "PARCOURS_PORT")
        _run(serve(settings, f"Gateway on http://{settings.host}:{settings.port}/graphql"))


async def _sample(settings: Settings) -> tuple[str, str | None] | None:
    db = GraphDatabase.connect(
        settings.bolt_uri, settings.neo4j_credentials(), settings.neo4j_database
    )
    try:
        return await sample_customer(db)
    finally:
        await db.close()


def _banner(settings: Settings, sample: tuple[str, str | None] | None) -> str:
    base = f"http://{settings.host}:{settings.port}"
    cid = sample[0] if sample else "<a customer id>"
    email = (sample[1] if sample else None) or "someone@example.com"
    url = settings.channel_url
    return f"""
[bold green]Parcours is up.[/]
  GraphiQL   {base}/graphql
  Console    {base}/console (add ?store=ST001 for that store's stock) · {base}/console/analytics
  Health     {base}/healthz · {base}/readyz
  Sample customer id: [bold]{cid}[/]

Try in GraphiQL:
  {{ customer(id: "{cid}") {{ displayName cart {{ version lines {{ quantity product {{ name }} }} }}
      history(first: 5) {{ edges {{ node {{ at channel type product {{ name }} }} }} }}
      recommendations(first: 3) {{ product {{ name }} reason }} }} }}

  {{ customerByIdentity(kind: EMAIL, value: "{email}") {{ id displayName
      identities {{ kind value }} }} }}

Or with curl:
  curl -s {base}/graphql -H 'content-type: application/json' \\
    -d '{{"query":"{{ customer(id: \\"{cid}\\") {{ displayName cart {{ version }} }} }}"}}'

Channel simulators (faults switchable at run time):
  web shop {url("webshop")} · stores {url("stores")} · OMS {url("oms")}
  contact centre {url("contact")} · mobile {url("mobile")}
  e.g. blackhole the stores system, then reset it:
  curl -s -X POST {url("stores")}/admin/faults -d '{{"blackhole": true}}'
  curl -s -X POST {url("stores")}/admin/reset

Ctrl-C (or `make down` from another terminal) stops everything this command started.
"""


def up_pid_file(settings: Settings) -> Path:
    """Where a running ``parcours up`` records its pid, so ``parcours down`` can reach it."""
    return settings.state_dir / "parcours-up.pid"


def _runs_up(command: str) -> bool:
    """Whether ``command`` is a ``parcours up`` (the pid file may name a reused pid)."""
    words = command.split()
    return "up" in words and any(Path(word).name == "parcours" for word in words)


def down_command() -> None:
    """Stop a running ``parcours up`` (gateway and the services it started), then the services."""
    settings = load_settings()
    pid = read_pid(up_pid_file(settings), _runs_up)
    with friendly_errors():
        if pid is not None:
            console.print(f"Stopping `parcours up` (pid {pid})…")
            terminate(pid, timeout=90)
        LocalStack(settings).stop()
    console.print("Gateway, simulators, Neo4j and Redis stopped.")


def _interrupted(signum: int, frame: FrameType | None) -> NoReturn:
    """SIGTERM (``parcours down``, a supervisor) ends ``up`` as Ctrl-C does: through its
    clean-up, instead of killing it with the services it started left running."""
    raise KeyboardInterrupt


def up_command(
    customers: int = typer.Option(2000, min=1, help="Demo customers to seed on first run."),
    seed: int = typer.Option(42, help="PRNG seed of the demo dataset."),
) -> None:
    """Start services, migrate, seed (once), and serve the gateway until Ctrl-C."""
    settings = load_settings()
    configure_logging(settings.log_level, json=False)
    stack = LocalStack(settings)
    # Whatever ran before is left running; what this command starts, it stops, however it ends
    # (Ctrl-C, SIGTERM, a service that fails to start, a seed that fails).
    ran_before = {service.name for service in stack.status() if service.pid}
    with friendly_errors():
        ensure_port_free(settings.port, "The gateway", "PARCOURS_PORT")
    signal.signal(signal.SIGTERM, _interrupted)
    pid_file = up_pid_file(settings)
    pid_file.parent.mkdir(parents=True, exist_ok=True)
    pid_file.write_text(str(os.getpid()))
    try:
        with friendly_errors(settings):
            with console.status("Starting Redis and Neo4j (first run fetches Neo4j from Maven)…"):
                stack.start()
            console.print(f"Neo4j on {stack.neo4j.config.uri}, Redis on {stack.redis.config.url}")
            asyncio.run(run_seed(settings, customers, seed, force=False))
            with console.status("Starting the five channel simulators…"):
                stack.start_simulators(seed, customers)
            sample = asyncio.run(_sample(settings))
            _run(serve(settings, _banner(settings, sample)))
    finally:
        pid_file.unlink(missing_ok=True)
        _stop_started(stack, ran_before)


def _stop_started(stack: LocalStack, ran_before: set[str]) -> None:
    """Stop the simulators, and Neo4j and Redis unless they ran before ``up`` started.

    A service that will not stop is reported (it would hold its port against the next start)
    but does not keep the others running, nor hide the error that ended ``up``.
    """
    _stop_reporting("the simulators", stack.simulators.stop)
    servers: dict[str, Neo4jServer | RedisServer] = {"Neo4j": stack.neo4j, "Redis": stack.redis}
    ours = [name for name in servers if name.lower() not in ran_before]
    if not ours:
        return
    with console.status(f"Stopping {' and '.join(ours)}…"):
        for name in ours:
            _stop_reporting(name, servers[name].stop)


def _stop_reporting(name: str, stop: Callable[[], None]) -> None:
    try:
        stop()
    except Exception as exc:  # clean-up: report it and go on to the next service
        console.print(f"[bold red]error:[/] {name} not stopped: {escape(str(exc))}")
