"""The import tool's command line (``gateway.services._neo4j_import.armed``) never outlives the
process that started it: killed with it, and never started at all when that process died
between the fork and the kernel's death signal being armed (the tool would then be orphaned
unarmed, and finish an import behind the marker of an unfinished one).

A stand-in command (``sleep``, ``touch``) replaces the Java tool: what is tested is the wrapper.
The test process is a child subreaper, so the orphaned command becomes its child: its exit
status is read with ``waitpid``, an event, not a poll.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.services.test_interrupted_import import _set_child_subreaper

# A CLI in miniature: starts `armed(*argv)` and prints its pid, then waits to be killed. With
# "--late FD", the armed command line is exec'd by a shell that first reads FD (a pipe's read
# end) to its end, and the starter exits at once: the test closes the write end once the
# starter is gone (reaped, so its children were adopted), and the command is armed only then,
# as after a Ctrl-C right after the fork.
_STARTER = """
import os, subprocess, sys
from gateway.services._neo4j_import import armed

if sys.argv[1] == "--late":
    waits = ["sh", "-c", 'cat > /dev/null; exec "$@"', "sh", *armed(*sys.argv[3:])]
    child = subprocess.Popen(waits, stdin=int(sys.argv[2]))
    print(child.pid, flush=True)
    os._exit(0)
child = subprocess.Popen(armed(*sys.argv[1:]))
print(child.pid, flush=True)
sys.stdin.read()  # until killed
"""


@pytest.fixture
def subreaper() -> Iterator[list[int]]:
    """Orphans of our children become ours; the pids listed are killed if a test fails."""
    _set_child_subreaper(True)
    left: list[int] = []
    try:
        yield left
    finally:
        for pid in left:
            with contextlib.suppress(ProcessLookupError, ChildProcessError):
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
        _set_child_subreaper(False)


def _start(*args: str, pass_fds: tuple[int, ...] = ()) -> tuple[subprocess.Popen[str], int]:
    starter = subprocess.Popen(
        [sys.executable, "-c", _STARTER, *args],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        pass_fds=pass_fds,
    )
    assert starter.stdout is not None
    pid = int(starter.stdout.readline())
    starter.stdout.close()
    return starter, pid


@pytest.mark.timeout(120)
def test_the_command_is_killed_with_the_process_that_started_it(subreaper: list[int]):
    starter, pid = _start("sleep", "600")
    subreaper.append(pid)
    starter.kill()
    starter.wait()
    assert starter.stdin is not None
    starter.stdin.close()

    _, status = os.waitpid(pid, 0)  # orphaned, it is ours to reap
    subreaper.clear()
    assert os.WIFSIGNALED(status), f"it ran on and exited {os.WEXITSTATUS(status)}"
    assert os.WTERMSIG(status) == signal.SIGKILL


@pytest.mark.timeout(120)
def test_a_command_whose_starter_died_before_it_was_armed_never_runs(
    subreaper: list[int], tmp_path: Path
):
    ran = tmp_path / "ran"
    read_end, write_end = os.pipe()
    try:
        starter, pid = _start("--late", str(read_end), "touch", str(ran), pass_fds=(read_end,))
        subreaper.append(pid)
        assert starter.wait() == 0  # reaped: its orphan is ours now
        assert starter.stdin is not None
        starter.stdin.close()
    finally:
        os.close(read_end)
        os.close(write_end)  # the shell execs the armed command line

    _, status = os.waitpid(pid, 0)
    subreaper.clear()
    assert not ran.exists(), "the command ran with nothing to kill it when its starter died"
    assert os.waitstatus_to_exitcode(status) == 70
