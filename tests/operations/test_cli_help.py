"""The ``--help`` texts and the README's command table against what the commands take: a reader
of either must find every option a command accepts, and only those."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import typer
from typer.core import TyperGroup
from typer.testing import CliRunner

from gateway.cli import app
from simulators.__main__ import _parser as simulator_parser

ROOT = Path(__file__).resolve().parents[2]
DOCS = ("README.md", "docs/architecture.md", "docs/configuration.md", "bench/README.md")


def test_sim_help_names_every_option_the_simulators_take():
    # `parcours sim` hands its options to `python -m simulators`, so typer listed none of them:
    # its help showed --help only.
    result = CliRunner().invoke(app, ["sim", "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    shown = set(re.findall(r"--[a-z][a-z-]+", result.output))
    taken = {
        option
        for action in simulator_parser()._actions
        for option in action.option_strings
        if option.startswith("--") and option != "--help"
    }
    assert taken - shown == set()


def _options(command: Any) -> set[str]:
    return {name for param in command.params for name in getattr(param, "opts", [])}


def test_every_command_and_option_the_docs_name_exists():
    root = typer.main.get_command(app)
    assert isinstance(root, TyperGroup)
    docs = [(ROOT / doc).read_text() for doc in DOCS]
    # The README's command table, and every `parcours ...` command the docs quote.
    commands = [c for text in docs for c in re.findall(r"`(?:\.venv/bin/)?parcours ([^`]+)`", text)]
    assert len(commands) >= 15
    simulator_options = {o for a in simulator_parser()._actions for o in a.option_strings}
    for quoted in commands:
        name, _, rest = " ".join(quoted.replace("\\|", "|").split()).partition(" ")
        command = root.commands.get(name)
        assert command is not None, f"no `parcours {name}`"
        accepted = simulator_options if name == "sim" else _options(command)
        if isinstance(command, TyperGroup):
            for sub in re.findall(r"(?:^|\|)([a-z]+)", rest):
                assert sub in command.commands, f"no `parcours {name} {sub}`"
                accepted |= _options(command.commands[sub])
        unknown = set(re.findall(r"--[a-z][a-z-]*", rest)) - accepted
        assert unknown == set(), quoted
