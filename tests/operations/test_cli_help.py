"""The ``--help`` texts against what the commands take: a reader of ``parcours X --help`` (or of the
README's command table) must find every option the command accepts."""

from __future__ import annotations

import re

from typer.testing import CliRunner

from gateway.cli import app
from simulators.__main__ import _parser as simulator_parser


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
