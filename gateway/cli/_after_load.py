"""The step both ``parcours seed`` paths end with: the derived data, with its own progress."""

from __future__ import annotations

import time

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from gateway.cli._console import console
from graph import GraphDatabase
from graph.seed import after_load


async def derive(db: GraphDatabase) -> None:
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
