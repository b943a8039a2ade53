"""``parcours migrate`` and ``parcours seed``: shape the graph and fill it with the demo dataset."""

from __future__ import annotations

import asyncio
import time

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from gateway.cli._console import console
from gateway.settings import Settings
from graph import GraphDatabase, migrate
from graph.customers import count_customers
from graph.seed import after_load, seed_graph


def _connect(settings: Settings) -> GraphDatabase:
    return GraphDatabase.connect(
        settings.bolt_uri,
        settings.neo4j_credentials(),
        settings.neo4j_database,
        query_timeout_s=600.0,
    )


async def run_migrations(settings: Settings) -> list[str]:
    db = _connect(settings)
    try:
        return [f"{m.version}: {m.name}" for m in await migrate(db)]
    finally:
        await db.close()


def migrate_command() -> None:
    """Apply the graph migrations that have not run yet."""
    applied = asyncio.run(run_migrations(Settings()))
    console.print("Applied: " + ", ".join(applied) if applied else "Graph schema up to date.")


class _PlainProgress:
    """Progress lines with a rate and an ETA every 5 %, for logs (the bar needs a terminal)."""

    def __init__(self, total: int, started: float) -> None:
        self.total, self.started, self.done, self.next_report = total, started, 0, total / 20

    def advance(self, n: int) -> None:
        self.done += n
        if self.done < self.next_report and self.done < self.total:
            return
        self.next_report += self.total / 20
        elapsed = time.monotonic() - self.started
        rate = self.done / elapsed if elapsed > 0 else 0.0
        eta = (self.total - self.done) / rate if rate else float("nan")
        console.print(
            f"seeded {self.done:,}/{self.total:,} customers, {rate:,.0f}/s, ETA {eta:,.0f} s"
        )


async def run_seed(
    settings: Settings, customers: int, seed: int, force: bool, writers: int = 1
) -> bool:
    """Seed unless customers exist (or ``force``); True when it loaded data."""
    db = _connect(settings)
    try:
        await migrate(db)
        existing = await count_customers(db)
        if existing and not force:
            console.print(
                f"The graph already holds {existing:,} customers; seeding skipped "
                "(use --force to load the dataset again)."
            )
            return False
        started = time.monotonic()
        columns = (
            TextColumn("Seeding"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("customers"),
            TimeRemainingColumn(),
        )
        with Progress(*columns, console=console) as progress:
            task = progress.add_task("seed", total=customers)
            plain = _PlainProgress(customers, started) if not console.is_terminal else None

            def advance(n: int) -> None:
                progress.advance(task, n)
                if plain is not None:
                    plain.advance(n)

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
        await _derive(db)
        return True
    finally:
        await db.close()


async def _derive(db: GraphDatabase) -> None:
    """The derived data (co-purchase table), with a bar: minutes at a million customers."""
    started = time.monotonic()
    with Progress(
        TextColumn("Co-purchases"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("products"),
        TimeRemainingColumn(),
        console=console,
    ) as progress:
        task = progress.add_task("co-purchases", total=None)

        def advance(done: int, total: int) -> None:
            progress.update(task, completed=done, total=total)
            if not console.is_terminal and (done == total or done % 50 == 0):
                console.print(f"co-purchases: {done}/{total} products")

        written = await after_load(db, advance)
    console.print(
        f"Co-purchase table: {written:,} relationships in {time.monotonic() - started:.1f} s."
    )


def seed_command(
    customers: int = typer.Option(2000, min=1, help="How many customers to generate."),
    seed: int = typer.Option(42, help="PRNG seed: same seed, same dataset."),
    force: bool = typer.Option(False, help="Load even if the graph already has customers."),
    writers: int = typer.Option(
        2, min=1, max=8, help="Generator processes and concurrent write transactions."
    ),
) -> None:
    """Load the deterministic demo dataset (skipped when customers already exist).

    Scale datasets: ``parcours seed --customers 1000000 --force`` (about 10 interactions per
    customer, heavy-tailed), with progress and an ETA.
    """
    asyncio.run(run_seed(Settings(), customers, seed, force, writers))
