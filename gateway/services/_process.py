"""Start and stop the service processes we own, and remember them in pid files.

Processes are started in their own session so that Ctrl-C in a terminal reaches our CLI first and
the CLI decides the shutdown order.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Callable, Mapping
from pathlib import Path

from gateway.services._errors import ServiceError


def spawn(
    argv: list[str],
    log_file: Path,
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
) -> subprocess.Popen[bytes]:
    """Start ``argv`` detached from our terminal; stdout and stderr are appended to ``log_file``.

    ``env`` is added to our environment for the child: secrets go there, never in ``argv``,
    which any local user can read in ``ps`` or ``/proc/<pid>/cmdline``.
    """
    log_file.parent.mkdir(parents=True, exist_ok=True)
    with log_file.open("ab") as log:
        return subprocess.Popen(
            argv,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            cwd=cwd,
            env={**os.environ, **env} if env else None,
            start_new_session=True,
        )


def pid_alive(pid: int) -> bool:
    """Whether a process with this pid exists and is not a zombie."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    stat = Path(f"/proc/{pid}/stat")
    if stat.exists():
        with contextlib.suppress(OSError, IndexError):
            return stat.read_text().split(") ", 1)[1][0] != "Z"
    return True


def terminate(pid: int, timeout: float = 30.0, kill_wait: float = 5.0) -> None:
    """SIGTERM, wait up to ``timeout`` seconds, then SIGKILL; returns when the process is gone.

    Raises :class:`ServiceError` naming the pid and its program when the process is still there
    ``kill_wait`` seconds after SIGKILL (uninterruptible sleep on a hung disk or mount): its
    caller would otherwise take the service for stopped, and the next start fail on the port.
    """
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    except PermissionError as exc:
        raise ServiceError(
            f"not allowed to stop process {pid} ({command_line(pid) or 'program unknown'}): "
            "it runs as another user",
            hint=f"stop it as that user (`sudo kill {pid}`), then run the command again",
        ) from exc
    if _gone_within(pid, timeout):
        return
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)
    if _gone_within(pid, kill_wait):
        return
    program = command_line(pid) or "(program unknown)"
    raise ServiceError(
        f"process {pid} ({program}) survived SIGKILL: it is still running",
        hint=f"it is likely stuck in the kernel (state {_state(pid)}); see `cat /proc/{pid}/stack`"
        " or free what it waits on (a hung disk or network mount), then run the command again",
    )


def _gone_within(pid: int, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while True:
        _reap(pid)
        if not pid_alive(pid):
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.1)


def _state(pid: int) -> str:
    """The process's state letter from ``/proc`` (``D``: uninterruptible sleep), or ``?``."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ", 1)[1][0]
    except (OSError, IndexError):
        return "?"


def _reap(pid: int) -> None:
    with contextlib.suppress(ChildProcessError, OSError):
        os.waitpid(pid, os.WNOHANG)


def command_line(pid: int) -> str | None:
    """The process's arguments joined by spaces (as the process shows them: redis-server rewrites
    its own), or ``None`` where ``/proc`` cannot tell."""
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return None
    return raw.replace(b"\0", b" ").decode(errors="replace").strip()


def read_pid(pid_file: Path, ours: Callable[[str], bool] | None = None) -> int | None:
    """The pid recorded in ``pid_file`` if that process still runs and is ours, else ``None``.

    A pid file outlives its process after a crash or a reboot, and the kernel hands its pid to
    another process sooner or later: ``ours`` is asked about the command line of the process
    holding the pid now (``/proc``), so a stale file never makes us report, wait for or signal
    someone else's process. Where the command line cannot be read (or is still empty, in
    the instant a process we just started execs), a live pid is taken as ours.
    """
    try:
        pid = int(pid_file.read_text().strip())
    except (OSError, ValueError):
        return None
    if not pid_alive(pid):
        return None
    if ours is not None:
        command = command_line(pid)
        # Empty for a moment while a process we just spawned execs: no answer yet, like None.
        if command and not ours(command):
            return None
    return pid


def tail(path: Path, lines: int = 30) -> str:
    """The last ``lines`` lines of a log file, or a note that it is missing."""
    try:
        content = path.read_text(errors="replace").splitlines()
    except OSError:
        return f"(no log at {path})"
    return "\n".join(content[-lines:])
