"""The rich console the CLI prints to, and how it reports a failure a person can act on."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import typer
from rich.console import Console

from gateway.services import ServiceError

console = Console(stderr=False, highlight=False)


@contextmanager
def friendly_errors() -> Iterator[None]:
    """Turn a :class:`ServiceError` into a red message and exit code 1, without a traceback."""
    try:
        yield
    except ServiceError as exc:
        console.print(f"[bold red]error:[/] {exc}")
        raise typer.Exit(1) from exc
