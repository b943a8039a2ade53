"""Progress of long CLI commands: a rich bar in a terminal, plain lines with a rate in logs."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TextColumn,
    TimeRemainingColumn,
)
from rich.text import Text

from gateway.cli._console import console

# Without a terminal (a log) a long wait prints one line this often.
PLAIN_EVERY_S = 30.0


class _PlainProgress:
    """Progress lines with a rate and an ETA every 5 %, for logs (the bar needs a terminal)."""

    def __init__(self, verb: str, unit: str, total: int, started: float) -> None:
        self.verb, self.unit = verb, unit
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
            f"{self.verb} {self.done:,}/{self.total:,} {self.unit}, {rate:,.0f}/s, ETA {eta:,.0f} s"
        )


class _RateColumn(ProgressColumn):
    """Items per second, as rich measures them over its recent samples."""

    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        return Text(f"{speed:,.0f}/s" if speed else "", style="progress.data.speed")


@contextmanager
def counting_progress(
    title: str, verb: str, unit: str, total: int
) -> Iterator[Callable[[int], None]]:
    """A callback that advances a bar (``title``) or prints ``verb done/total unit`` lines."""
    started = time.monotonic()
    columns = (
        TextColumn(title),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn(unit),
        _RateColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=console) as progress:
        task = progress.add_task(title, total=total)
        plain = _PlainProgress(verb, unit, total, started) if not console.is_terminal else None

        def advance(n: int) -> None:
            progress.advance(task, n)
            if plain is not None:
                plain.advance(n)

        yield advance
