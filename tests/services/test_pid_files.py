"""A pid file outlives its process (a crash, a reboot) and the kernel reuses pids: a stale file
naming someone else's process must never make us report it, wait for it or signal it."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from gateway.cli import app
from gateway.services import (
    Neo4jConfig,
    Neo4jServer,
    RedisConfig,
    RedisServer,
    free_port,
)
from gateway.services._process import pid_alive
from gateway.services._simulators import Simulators, SimulatorsConfig


@pytest.fixture
def stranger() -> Iterator[subprocess.Popen[bytes]]:
    """A process of someone else's that happens to hold the pid our files recorded."""
    process = subprocess.Popen(["sleep", "600"])
    try:
        yield process
    finally:
        process.kill()
        process.wait()


def _stale(pid_file: Path, pid: int) -> None:
    pid_file.parent.mkdir(parents=True, exist_ok=True)
    pid_file.write_text(str(pid))


def test_a_stale_pid_file_naming_another_process_is_neither_reported_nor_stopped(
    tmp_path: Path, stranger: subprocess.Popen[bytes]
):
    servers = [
        Neo4jServer(
            Neo4jConfig(
                home=tmp_path / "neo4j",
                cache_dir=tmp_path / "cache",
                version="5.26.30",
                bolt_port=free_port(),
            )
        ),
        RedisServer(RedisConfig(home=tmp_path / "redis", port=free_port())),
        Simulators(SimulatorsConfig(home=tmp_path / "simulators", base_port=free_port())),
    ]
    for server in servers:
        _stale(server.config.pid_file, stranger.pid)
        assert server.running_pid() is None
        server.stop()
        assert not server.config.pid_file.exists()
    assert pid_alive(stranger.pid)
    assert stranger.poll() is None


def test_down_leaves_alone_a_process_that_took_the_pid_of_an_ended_up(
    tmp_path: Path, stranger: subprocess.Popen[bytes]
):
    state = tmp_path / "state"
    _stale(state / "parcours-up.pid", stranger.pid)
    env = {
        "PARCOURS_STATE_DIR": str(state),
        "PARCOURS_NEO4J_BOLT_PORT": str(free_port()),
        "PARCOURS_REDIS_PORT": str(free_port()),
    }
    result = CliRunner().invoke(app, ["down"], env=env)
    assert result.exit_code == 0, result.output
    assert "Stopping `parcours up`" not in result.output
    assert stranger.poll() is None


@pytest.mark.timeout(120)
def test_our_own_redis_and_simulators_are_found_by_their_pid_files_and_stopped(tmp_path: Path):
    redis = RedisServer(RedisConfig(home=tmp_path / "redis", port=free_port()))
    simulators = Simulators(SimulatorsConfig(home=tmp_path / "simulators", base_port=free_port()))
    for server in (redis, simulators):
        server.start()
        try:
            pid = int(server.config.pid_file.read_text())
            # Redis has renamed itself by now ("redis-server 127.0.0.1:PORT"): still ours.
            assert server.running_pid() == pid
        finally:
            server.stop()
        assert not pid_alive(pid)
        assert server.running_pid() is None
