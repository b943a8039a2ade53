"""``parcours migrate`` and ``parcours seed``: shape the graph and fill it with the demo dataset."""

from __future__ import annotations

import asyncio
import time

import typer

from gateway.cli._after_load import derive
from gateway.cli._bulk_seed import run_bulk_seed
from gateway.cli._console import console, friendly_errors, load_settings
from gateway.cli._progress import counting_progress
from gateway.cli._schema_progress import migrate_with_progress
from gateway.settings import Settings
from graph import GraphDatabase, migrate
from graph.customers import count_customers
from graph.seed import interrupted_seed, mark_seed_finished, mark_seed_started, seed_graph


def _connect(settings: Settings) -> GraphDatabase:
    return GraphDatabase.connect(
        settings.bolt_uri,
        settings.neo4j_credentials(),
        settings.neo4j_database,
        query_timeout_s=600.0,
    )


async def run_migrations(settings: Settings) -> list[str]:
    """The migrations missing, applied with their indexes' population shown: over a big graph
    a new index takes minutes, longer than the two minutes a gateway's start waits for it."""
    db = _connect(settings)
    try:
        applied = await migrate_with_progress(db, settings)
        return [f"{m.version}: {m.name}" for m in applied]
    finally:
        await db.close()


def migrate_command() -> None:
    """Apply the graph migrations that have not run yet."""
    settings = load_settings()
    with friendly_errors(settings):
        applied = asyncio.run(run_migrations(settings))
    console.print("Applied: " + ", ".join(applied) if applied else "Graph schema up to date.")


async def run_seed(
    settings: Settings, customers: int, seed: int, force: bool, writers: int = 1
) -> bool:
    """Seed unless customers exist (or ``force``); True when it loaded data. A seed that was
    interrupted is finished first, with the parameters it was started with."""
    db = _connect(settings)
    try:
        await migrate(db, inputs=settings.migration_inputs())
        existing = await count_customers(db)
        interrupted = await interrupted_seed(db)
        if interrupted is not None and not force:
            seed, customers = interrupted
            console.print(
                f"An earlier seed ({customers:,} customers, seed {seed}) stopped after "
                f"{existing:,} customers; finishing it."
            )
        elif existing and not force:
            console.print(
                f"The graph already holds {existing:,} customers; seeding skipped "
                "(use --force to load the dataset again)."
            )
            return False
        await mark_seed_started(db, seed, customers)
        started = time.monotonic()
        with counting_progress("Seeding", "seeded", "customers", customers) as advance:
            await seed_graph(
                db,
                customers,
                seed,
                progress=advance,
                writers=writers,
                batch_size=500 if writers <= 1 else 1000,
            )
        console.print(
            f"Seeded {customers:,} customers (seed {seed}) in {time.monotonic() - started:.1f} s."
        )
        await derive(db)
        await mark_seed_finished(db)
        return True
    finally:
        await db.close()


def seed_command(
    customers: int = typer.Option(2000, min=1, help="How many customers to generate."),
    seed: int = typer.Option(42, help="PRNG seed: same seed, same dataset."),
    force: bool = typer.Option(
        False,
        help="Load even if the graph already has customers; with --bulk, replace a database "
        "that holds anything.",
    ),
    writers: int = typer.Option(
        2,
        min=1,
        max=8,
        help="Generator processes and concurrent write transactions (with --bulk: processes "
        "writing the CSV files).",
    ),
    bulk: bool = typer.Option(
        False,
        help="Write CSV files and load them with Neo4j's import tool: much faster at scale, but "
        "it REPLACES THE WHOLE DATABASE (partners and audit log too) and stops and restarts "
        "the Neo4j `parcours services` runs.",
    ),
) -> None:
    """Load the deterministic demo dataset (skipped when customers already exist).

    Scale datasets: ``parcours seed --customers 1000000 --bulk`` (about 10 interactions per
    customer, heavy-tailed), with progress and an ETA: the same graph as the default path,
    which writes with UNWIND...MERGE into the running database (about 200 customers/s).
    """
    settings = load_settings()
    with friendly_errors(settings):
        if bulk:
            run_bulk_seed(settings, customers, seed, force=force, workers=writers)
        else:
            asyncio.run(run_seed(settings, customers, seed, force, writers))
