"""Root of the ``parcours`` CLI; each command group lives in its own module."""

from __future__ import annotations

import typer

from gateway.cli import (
    _graph_commands,
    _partner_commands,
    _serve_commands,
    _services_commands,
    _sim_commands,
)

app = typer.Typer(
    help="Parcours: one customer, every channel, one context.",
    no_args_is_help=True,
    add_completion=False,
)
app.add_typer(_services_commands.app, name="services")
app.add_typer(_partner_commands.app, name="partners")
app.command("migrate")(_graph_commands.migrate_command)
app.command("seed")(_graph_commands.seed_command)
app.command("serve")(_serve_commands.serve_command)
app.command("up")(_serve_commands.up_command)
app.command("down")(_serve_commands.down_command)
app.command("sim", context_settings={"allow_extra_args": True, "ignore_unknown_options": True})(
    _sim_commands.sim_command
)


def main() -> None:
    app()
