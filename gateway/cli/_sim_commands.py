"""``parcours sim NAME|all [options]``: run channel simulators in the foreground.

A thin hand-over to ``python -m simulators`` (its options: ``--port``, ``--base-port``, ``--seed``,
``--customers``, ``--latency-ms``, ``--jitter-ms``); the gateway package never imports them.
"""

from __future__ import annotations

import os
import sys

import typer


def sim_command(
    ctx: typer.Context,
    system: str = typer.Argument(help="webshop, stores, oms, contact, mobile, or all"),
) -> None:
    """Run one channel simulator (or all five) until Ctrl-C."""
    os.execv(sys.executable, [sys.executable, "-m", "simulators", system, *ctx.args])  # noqa: S606 - our own interpreter and module
