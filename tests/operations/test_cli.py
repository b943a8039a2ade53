"""The ``parcours`` commands when something is wrong: a clear message and exit code 1, never a
traceback, and nothing left running that the command started."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from gateway.cli import app
from gateway.cli._serve_commands import serve
from gateway.services import RedisConfig, RedisServer, ServiceError, free_port, is_listening
from gateway.services._process import terminate
from tests.conftest import Services, neo4j_server


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


@pytest.mark.parametrize("command", [["services", "status"], ["serve"], ["migrate"]])
def test_a_setting_that_does_not_parse_names_its_variable_without_a_traceback(command: list[str]):
    env = {"PARCOURS_PORT": "eighty", "PARCOURS_LOG_LEVEL": "verbose"}
    result = CliRunner().invoke(app, command, env=env)
    assert result.exit_code == 2, result.output
    assert isinstance(result.exception, SystemExit), result.exception
    said = " ".join(result.output.split())  # rich wraps long lines
    assert "PARCOURS_PORT: Input should be a valid integer" in said
    assert "PARCOURS_LOG_LEVEL: Value error, 'verbose' is not a log level" in said


async def test_serving_on_a_port_bound_by_another_socket_is_a_clear_error(services: Services):
    # Bound without listening: the check before start cannot see it, the bind fails.
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        port = taken.getsockname()[1]
        settings = services.settings(port=port, migrate_on_start=False)
        with pytest.raises(ServiceError, match=rf"(?s)cannot listen on 127\.0\.0\.1:{port}.*"):
            await serve(settings)


@pytest.mark.timeout(300)
def test_up_stops_the_redis_it_started_when_neo4j_fails_to_start(tmp_path: Path):
    state = tmp_path / "state"
    redis_port = free_port()
    env = {
        **os.environ,
        "PARCOURS_STATE_DIR": str(state),
        "PARCOURS_PORT": str(free_port()),
        "PARCOURS_REDIS_PORT": str(redis_port),
        "PARCOURS_NEO4J_BOLT_PORT": str(free_port()),
        "PARCOURS_NEO4J_HEAP": "not-a-size",  # the JVM refuses it and exits at once
    }
    redis = RedisServer(RedisConfig(home=state.resolve() / "redis", port=redis_port))
    try:
        done = subprocess.run(
            [sys.executable, "-c", "from gateway.cli import main; main()", "up"],
            env=env,
            capture_output=True,
            text=True,
            timeout=240,
            check=False,
        )
        assert done.returncode == 1, done.stdout + done.stderr
        assert "Neo4j exited while starting" in done.stdout
        assert "Traceback" not in done.stdout + done.stderr
        assert redis.running_pid() is None
        assert not is_listening(redis_port)
        assert not (state / "parcours-up.pid").exists()
    finally:
        pid = redis.running_pid()
        if pid is not None:
            terminate(pid)


@pytest.mark.timeout(300)
def test_migrate_shows_the_constraints_and_indexes_coming_online(tmp_path: Path):
    """Over a big graph a new index takes minutes: `parcours migrate` shows their population
    (a line at least at the end without a terminal) instead of waiting silently."""
    server = neo4j_server(tmp_path / "neo4j")  # its own: fresh, every migration to apply
    server.start()
    try:
        env = {
            "PARCOURS_STATE_DIR": str(tmp_path / "state"),
            "PARCOURS_NEO4J_URI": server.config.uri,
            "PARCOURS_NEO4J_AUTH": "false",
        }
        result = CliRunner().invoke(app, ["migrate"], env=env)
    finally:
        server.stop()
    assert result.exit_code == 0, result.output
    assert "Applied: 1: " in result.output
    assert re.search(r"^indexes: (\d+)/\1 online \(\d+ s\)$", result.output, re.MULTILINE), (
        result.output
    )


def test_a_database_neo4j_does_not_have_is_named_with_the_setting_to_change(services: Services):
    uri = services.neo4j.config.uri
    env = {
        "PARCOURS_NEO4J_URI": uri,
        "PARCOURS_NEO4J_AUTH": "false",
        "PARCOURS_NEO4J_DATABASE": "nosuchdb",
    }
    result = CliRunner().invoke(app, ["migrate"], env=env)
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit), result.exception
    said = " ".join(result.output.split())  # rich wraps long lines
    assert f"Neo4j at {uri} has no database 'nosuchdb'" in said
    assert "PARCOURS_NEO4J_DATABASE" in said
