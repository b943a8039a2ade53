"""``parcours sim NAME|all [options]``: run channel simulators in the foreground.

A thin hand-over to ``python -m simulators`` (its options, which ``parcours sim --help`` lists
since typer cannot show them); the gateway package never imports them.
"""

from __future__ import annotations

import os
import sys

import typer


def sim_command(
    ctx: typer.Context,
    system: str = typer.Argument(help="webshop, stores, oms, contact, mobile, or all"),
) -> None:
    """Run one channel simulator (or all five) until Ctrl-C.

    Options after SYSTEM are the simulators' own: --port P (one system), --base-port P (all
    five on P to P+4; default 9101), --host, --seed and --customers (the dataset, as the
    graph's), --latency-ms, --jitter-ms and --rng-seed (their delays and faults), --webhook-url
    BASE (stores post receipts to BASE/store, the OMS orders to BASE/web) and --webhook-secret
    (prefer the variable PARCOURS_SIMULATORS_WEBHOOK_SECRET: a command line shows in ps).
    """
    os.execv(sys.executable, [sys.executable, "-m", "simulators", system, *ctx.args])  # noqa: S606 - our own interpreter and module
