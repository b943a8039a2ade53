"""``parcours seed --bulk``: the scale dataset through Neo4j's own import tool (issue 7).

Phases, each timed and showing its progress: worker processes write the dataset as CSV files
under the state folder; the Neo4j that ``parcours services`` runs is stopped, the import tool
replaces its database, and it is started again; the migrations create the constraints and
indexes (the import makes none) and we wait for them to populate; last, the derived data the
UNWIND path also ends with. The graph comes out the same as the ``UNWIND ... MERGE`` path's.
It never replaces a database that holds data unless forced.
"""

from __future__ import annotations

import asyncio
import re
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from neo4j.exceptions import Neo4jError
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from gateway.cli._after_load import derive
from gateway.cli._console import console
from gateway.cli._progress import PLAIN_EVERY_S, counting_progress
from gateway.cli._schema_progress import SCHEMA_TIMEOUT_S, migrate_with_progress
from gateway.services import LocalStack, Neo4jServer, ServiceError
from gateway.services._neo4j_import import import_csv
from gateway.settings import Settings
from graph import GraphDatabase, migrate
from graph.customers import count_customers
from graph.migrations import data_node_count
from graph.seed.bulk import CsvDataset, write_csv_dataset


class _Phases:
    """How long each phase took, printed at the end."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    @contextmanager
    def timed(self, name: str) -> Iterator[None]:
        started = time.monotonic()
        try:
            yield
        finally:
            self.seconds[name] = time.monotonic() - started

    def summary(self) -> str:
        parts = [f"{name} {seconds:,.0f} s" for name, seconds in self.seconds.items()]
        return ", ".join(parts) + f"; total {sum(self.seconds.values()):,.0f} s"


def _connect(settings: Settings) -> GraphDatabase:
    return GraphDatabase.connect(
        settings.bolt_uri,
        settings.neo4j_credentials(),
        settings.neo4j_database,
        query_timeout_s=SCHEMA_TIMEOUT_S,
    )


async def _holdings(settings: Settings) -> tuple[int, int]:
    """Customers and all nodes (migration records aside) the graph holds now."""
    db = _connect(settings)
    try:
        # As the UNWIND path does: on an empty database this creates the labels the counts name
        # (Neo4j warns about unknown ones) and costs nothing on a database already migrated.
        await migrate(db, inputs=settings.migration_inputs())
        return await count_customers(db), await data_node_count(db)
    finally:
        await db.close()


def _managed_server(settings: Settings, server: Neo4jServer | None) -> Neo4jServer:
    server = server or LocalStack(settings).neo4j
    if settings.bolt_uri != server.config.uri:
        raise ServiceError(
            f"--bulk replaces the database files of the Neo4j `parcours services` runs "
            f"({server.config.uri}), not of {settings.bolt_uri}",
            hint="unset PARCOURS_NEO4J_URI (set PARCOURS_NEO4J_BOLT_PORT instead), "
            "or seed without --bulk",
        )
    return server


def run_bulk_seed(
    settings: Settings,
    customers: int,
    seed: int,
    *,
    force: bool,
    workers: int,
    server: Neo4jServer | None = None,
) -> bool:
    """Replace the graph with ``customers`` customers of ``seed``; False when refused.

    ``server`` is the Neo4j that ``settings`` describe, when the caller already holds it.
    """
    server = _managed_server(settings, server)
    if not force or not server.config.conf_file.exists():
        server.start()
    if not force:
        held_customers, held_nodes = asyncio.run(_holdings(settings))
        if held_nodes:
            console.print(
                f"The graph already holds {held_customers:,} customers ({held_nodes:,} nodes in "
                "all); a bulk import replaces the whole database, so nothing was done "
                "(use --force to replace it)."
            )
            return False
    phases = _Phases()
    state = settings.state_dir.resolve()
    state.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="bulk-seed-", dir=state) as folder:
        with (
            phases.timed("CSV files"),
            counting_progress("CSV files", "wrote", "customers", customers) as advance,
        ):
            dataset = write_csv_dataset(
                Path(folder), customers, seed, workers=workers, progress=advance
            )
        _print_rows(dataset)
        console.print(f"Stopping Neo4j ({server.config.uri}) for the import")
        server.stop()
        with phases.timed("import"):
            _import(server, dataset, settings)
    with phases.timed("restart"):
        _restart(server, max(settings.neo4j_start_timeout_s, settings.neo4j_import_start_timeout_s))
    asyncio.run(_after_import(settings, phases))
    console.print(f"Bulk-seeded {customers:,} customers (seed {seed}): {phases.summary()}.")
    return True


def _print_rows(dataset: CsvDataset) -> None:
    nodes = sum(dataset.rows[s.name] for s in dataset.sources if s.entity == "nodes")
    total = sum(dataset.rows.values())
    console.print(f"CSV files: {nodes:,} nodes, {total - nodes:,} relationships")


def _import(server: Neo4jServer, dataset: CsvDataset, settings: Settings) -> None:
    groups = {
        entity: [(s.label, s.files) for s in dataset.sources if s.entity == entity]
        for entity in ("nodes", "relationships")
    }
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.percentage:>3.0f} %"),
        console=console,
    ) as progress:
        import_csv(
            server,
            groups["nodes"],
            groups["relationships"],
            database=settings.neo4j_database,
            heap=settings.neo4j_import_heap,
            max_memory=settings.neo4j_import_max_memory,
            on_output=_ImportOutput(progress),
        )


class _ImportOutput:
    """Relays the import tool's own report: its resources, phases, percentages and totals.

    The list of input files it starts with (hundreds of parts) is left to ``import.log``.
    """

    _PHASE = re.compile(r"^\((\d+)/(\d+)\) (.+?) \d{4}-\d\d-\d\d")
    _PERCENT = re.compile(r"(\d+)% ∆")

    def __init__(self, progress: Progress) -> None:
        self.progress, self.relaying, self.phase = progress, False, ""
        self.task = progress.add_task("import", total=100, visible=False)

    def __call__(self, line: str) -> None:
        self.relaying = self.relaying or line.startswith("Available resources")
        percent = self._PERCENT.search(line)
        if percent is not None:
            done = int(percent.group(1))
            self.progress.update(self.task, completed=done)
            if not console.is_terminal and done % 25 == 0:
                console.print(f"  {self.phase} {done} %")
            return
        phase = self._PHASE.match(line)
        if phase is not None:
            self.phase = phase.group(3)
            self.progress.update(
                self.task, description=f"Import {self.phase}", completed=0, visible=True
            )
            line = phase.group(0)[: -len("0000-00-00")].rstrip()
        if self.relaying and line.strip():
            console.print(line, markup=False)


def _restart(server: Neo4jServer, timeout_s: float) -> None:
    """Start Neo4j on the imported store, saying what it waits for: opening a large store can
    keep Bolt silent, then the database offline, for minutes, so the wait is bounded by
    ``timeout_s`` (PARCOURS_NEO4J_IMPORT_START_TIMEOUT_S), not by an ordinary start's."""
    console.print(
        f"Restarting Neo4j ({server.config.uri}) on the imported store (waiting up to "
        f"{timeout_s:,.0f} s, PARCOURS_NEO4J_IMPORT_START_TIMEOUT_S)"
    )
    columns = (SpinnerColumn(), TextColumn("Neo4j {task.fields[detail]}"), TimeElapsedColumn())
    last_line = -PLAIN_EVERY_S
    with Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task("restart", total=None, detail="starting")

        def waiting(elapsed: float, error: Exception) -> None:
            nonlocal last_line
            if isinstance(error, Neo4jError):  # Bolt answers; the database is not online yet
                detail = f"opening the database ({error.code or type(error).__name__})"
            else:
                detail = "starting: waiting for Bolt"
            progress.update(task, detail=detail)
            if not console.is_terminal and elapsed - last_line >= PLAIN_EVERY_S:
                console.print(f"Neo4j {detail} ({elapsed:,.0f} s)")
                last_line = elapsed

        started = time.monotonic()
        server.start(on_wait=waiting, timeout_s=timeout_s)
    console.print(f"Neo4j answers on Bolt after {time.monotonic() - started:,.0f} s")


async def _after_import(settings: Settings, phases: _Phases) -> None:
    db = _connect(settings)
    try:
        with phases.timed("indexes"):
            await migrate_with_progress(db, settings)
        with phases.timed("co-purchases"):
            await derive(db)
    finally:
        await db.close()
