"""The ``parcours`` commands when something is wrong: a clear message and exit code 1, never a
traceback, and nothing left running that the command started."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from gateway.cli import app
from gateway.services import free_port


@pytest.mark.parametrize(
    "command", [["migrate"], ["seed", "--customers", "1"], ["partners", "list"]]
)
def test_a_command_needing_an_unreachable_neo4j_says_where_it_looked(command: list[str]):
    uri = f"bolt://127.0.0.1:{free_port()}"  # nothing listens there
    env = {"PARCOURS_NEO4J_URI": uri, "PARCOURS_NEO4J_AUTH": "false"}
    result = CliRunner().invoke(app, command, env=env)
    assert result.exit_code == 1
    assert isinstance(result.exception, SystemExit), result.exception
    assert f"cannot reach Neo4j at {uri}" in result.output
    assert "parcours services start" in result.output


def test_migrate_without_a_known_password_says_how_to_give_one(tmp_path: Path):
    env = {"PARCOURS_STATE_DIR": str(tmp_path), "PARCOURS_NEO4J_AUTH": "true"}
    result = CliRunner().invoke(app, ["migrate"], env=env)
    assert result.exit_code == 1
    assert isinstance(result.exception, SystemExit), result.exception
    assert "PARCOURS_NEO4J_PASSWORD" in result.output
