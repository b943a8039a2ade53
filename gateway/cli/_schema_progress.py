"""The migrations with the population of their constraints and indexes shown as it goes.

Over a big graph (a bulk import, or ``parcours migrate`` adding an index to millions of nodes) the
new indexes take minutes to come online: each is shown with its percentage and the time it has
left, and the wait is bounded by hours, not by the two minutes a gateway's start allows.
"""

from __future__ import annotations

import asyncio
import time

from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from gateway.cli._console import console
from gateway.cli._progress import PLAIN_EVERY_S
from gateway.settings import Settings
from graph import MIGRATIONS, GraphDatabase, migrate
from graph.migrations import Migration, index_population

# Index population over ten million interactions takes minutes; nothing here waits forever.
SCHEMA_TIMEOUT_S = 4 * 3600
_POLL_S = 2.0


class _PopulationEta:
    """Time left for each populating index, at its own pace since it was first seen populating:
    the indexes differ too much in size (customers, interactions) for one honest ETA over all.

    Example:
        >>> eta = _PopulationEta()
        >>> eta.left("Interaction_at", 10.0, now=100.0)
        ''
        >>> eta.left("Interaction_at", 30.0, now=110.0)
        ', 35 s left'
    """

    def __init__(self) -> None:
        self.first_seen: dict[str, tuple[float, float]] = {}

    def left(self, name: str, percent: float, now: float) -> str:
        seen_at, seen_percent = self.first_seen.setdefault(name, (now, percent))
        if percent <= seen_percent or now <= seen_at:
            return ""
        pace = (percent - seen_percent) / (now - seen_at)
        return f", {(100 - percent) / pace:,.0f} s left"


async def migrate_with_progress(db: GraphDatabase, settings: Settings) -> list[Migration]:
    """Run the migrations, showing the constraints' and indexes' population as it goes; the
    migrations applied now."""
    # + the migrations' own two keys: their version and their lock's name.
    expected = 2 + sum(len(m.statements) for m in MIGRATIONS)
    migrating = asyncio.create_task(
        migrate(db, timeout_s=SCHEMA_TIMEOUT_S, inputs=settings.migration_inputs())
    )
    try:
        await _show_population(db, migrating, expected)
    except BaseException:
        # A failed poll (or Ctrl-C) must not leave the migrations running unwatched.
        migrating.cancel()
        await asyncio.gather(migrating, return_exceptions=True)
        raise
    return await migrating


async def _show_population(
    db: GraphDatabase, migrating: asyncio.Task[list[Migration]], expected: int
) -> None:
    started, last_line, eta = time.monotonic(), 0.0, _PopulationEta()
    columns = (TextColumn("Indexes"), BarColumn(), TextColumn("{task.fields[detail]}"))
    with Progress(*columns, TimeElapsedColumn(), console=console) as progress:
        task = progress.add_task("indexes", total=expected, detail="")
        while True:
            done, _ = await asyncio.wait({migrating}, timeout=_POLL_S)
            if done and migrating.exception() is not None:
                return  # the migrations' own error is the one to tell
            indexes = await index_population(db)
            online = sum(1 for i in indexes if i.state == "ONLINE")
            now = time.monotonic()
            busy = [
                f"{i.name} {i.percent:.0f} %{eta.left(i.name, i.percent, now)}"
                for i in indexes
                if i.state != "ONLINE"
            ]
            detail = f"{online}/{expected} online" + (f", {', '.join(busy)}" if busy else "")
            progress.update(
                task,
                completed=online + sum(i.percent / 100 for i in indexes if i.state != "ONLINE"),
                detail=detail,
            )
            elapsed = now - started
            if not console.is_terminal and (done or elapsed - last_line >= PLAIN_EVERY_S):
                console.print(f"indexes: {detail} ({elapsed:,.0f} s)")
                last_line = elapsed
            if done:
                return
