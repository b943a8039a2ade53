"""A bulk import killed part-way (Ctrl-C, out of memory) leaves a half-written database: the
server's next start says so in one line and what to do, instead of waiting on a database that
never comes online; the import it advises makes the database usable again."""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from gateway.services import Neo4jServer, ServiceError
from gateway.services._neo4j_import import import_csv
from graph import GraphDatabase
from graph.seed.bulk import CsvDataset, write_csv_dataset
from tests.conftest import neo4j_server

_PR_SET_CHILD_SUBREAPER = 36

# A `parcours seed --bulk` in miniature: its own process, relaying the tool's lines on stdout.
_CLI = """
import sys
from pathlib import Path
from tests.conftest import neo4j_server
from tests.services.test_interrupted_import import _import
from graph.seed.bulk import write_csv_dataset

home, csv = Path(sys.argv[1]), Path(sys.argv[2])
dataset = write_csv_dataset(csv, 300, 42, workers=1, part_size=300)
_import(neo4j_server(home), dataset, lambda line: print(line, flush=True))
"""


def _import(server: Neo4jServer, dataset: CsvDataset, on_output: object = None) -> None:
    groups = {
        entity: [(s.label, s.files) for s in dataset.sources if s.entity == entity]
        for entity in ("nodes", "relationships")
    }
    import_csv(
        server,
        groups["nodes"],
        groups["relationships"],
        heap="512m",
        max_memory="1g",
        on_output=on_output,  # type: ignore[arg-type]
    )


def _import_tools(parent_pid: int | None = None) -> list[int]:
    """The import tools that ``parent_pid``'s children (ours by default) run."""
    pids = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            parent = int(stat.read_text().split(") ", 1)[1].split()[1])
            command = (stat.parent / "cmdline").read_bytes()
        except (OSError, IndexError, ValueError):
            continue
        if parent == (parent_pid or os.getpid()) and b"org.neo4j.cli.AdminTool" in command:
            pids.append(int(stat.parent.name))
    return pids


async def _customers(server: Neo4jServer) -> int:
    db = GraphDatabase.connect(server.config.uri, None)
    try:
        rows = await db.read("MATCH (c:Customer) RETURN count(c) AS n")
        return int(rows[0]["n"])
    finally:
        await db.close()


@pytest.mark.timeout(600)
def test_an_import_killed_part_way_is_reported_by_the_next_start(tmp_path: Path):
    server = neo4j_server(tmp_path / "neo4j")
    server._write_conf()  # what a first start writes; the import tool reads it
    dataset = write_csv_dataset(tmp_path / "csv", 300, 42, workers=1, part_size=300)
    killed: list[int] = []

    def kill_once_importing(line: str) -> None:
        # "(1/4) Node import": the destination was cleared and the new store is being written.
        if not killed and line.startswith("(1/"):
            killed.extend(_import_tools())
            for pid in killed:
                os.kill(pid, signal.SIGKILL)

    try:
        with pytest.raises(ServiceError, match=r"import tool failed \(exit -9\)"):
            _import(server, dataset, kill_once_importing)
        assert len(killed) == 1

        with pytest.raises(ServiceError) as refused:
            server.start()
        message = str(refused.value)
        assert message.startswith("the bulk import into Neo4j started ")
        assert "did not finish" in message.splitlines()[0]
        assert "`parcours seed --bulk --force`" in message
        assert server.running_pid() is None  # not started on the half-written store

        _import(server, dataset)  # what the message advises
        server.start()
        assert asyncio.run(_customers(server)) == 300
    finally:
        server.stop()  # whatever started, even on a failure


def _set_child_subreaper(on: bool) -> None:
    """Orphans of our children become ours, so that their exit status can be read."""
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(_PR_SET_CHILD_SUBREAPER, int(on), 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_CHILD_SUBREAPER)")


@pytest.mark.timeout(600)
def test_an_import_tool_does_not_outlive_the_killed_cli_that_ran_it(tmp_path: Path):
    """Killed with the CLI: left running, it would finish the import behind the marker of an
    unfinished one, and the next start would refuse a database that is whole."""
    server = neo4j_server(tmp_path / "neo4j")
    server._write_conf()
    _set_child_subreaper(True)
    tools: list[int] = []
    try:
        cli = subprocess.Popen(
            [sys.executable, "-c", _CLI, str(server.config.home), str(tmp_path / "csv")],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert cli.stdout is not None
        for line in cli.stdout:
            if line.startswith("(1/"):  # the tool is writing the new store
                tools.extend(_import_tools(cli.pid))
                break
        assert len(tools) == 1
        cli.kill()
        cli.wait()
        cli.stdout.close()

        _, status = os.waitpid(tools[0], 0)  # the orphaned tool is ours to reap
        tools.clear()
        assert os.WIFSIGNALED(status), f"the tool ran on and exited {os.WEXITSTATUS(status)}"
        assert os.WTERMSIG(status) == signal.SIGKILL
        with pytest.raises(ServiceError, match="did not finish"):
            server.start()
    finally:
        for pid in tools:
            with contextlib.suppress(ProcessLookupError, ChildProcessError):
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
        _set_child_subreaper(False)
        server.stop()


@pytest.mark.timeout(600)
def test_a_start_while_an_import_runs_says_it_runs_not_that_it_did_not_finish(tmp_path: Path):
    server = neo4j_server(tmp_path / "neo4j")
    server._write_conf()
    dataset = write_csv_dataset(tmp_path / "csv", 300, 42, workers=1, part_size=300)
    refusals: list[str] = []

    def start_once_importing(line: str) -> None:
        # `parcours services start` from another terminal, while the tool writes the store.
        if not refusals and line.startswith("(1/"):
            with pytest.raises(ServiceError) as refused:
                server.start()
            refusals.append(str(refused.value))

    _import(server, dataset, start_once_importing)
    [refusal] = refusals
    assert refusal.startswith("a bulk import into Neo4j is running (pid "), refusal
    assert "wait for `parcours seed --bulk` to finish" in refusal
    assert server.running_pid() is None
    assert not server.config.import_marker.exists()  # it finished
