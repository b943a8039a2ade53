"""A process that outlives SIGKILL (stuck in uninterruptible sleep on a hung disk or mount) is
reported, never taken for stopped: its caller would go on and a later start fail on its port."""

from __future__ import annotations

import signal
import subprocess
import sys
from collections.abc import Iterator

import pytest

from gateway.services import ServiceError
from gateway.services import _process as process_module
from gateway.services._process import pid_alive, terminate

# Ignores SIGTERM, says it did, then waits: only SIGKILL ends it.
_STUBBORN = (
    "import signal, sys, time\n"
    "signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
    "print('ready', flush=True)\n"
    "time.sleep(600)\n"
)


@pytest.fixture
def stubborn() -> Iterator[subprocess.Popen[bytes]]:
    child = subprocess.Popen([sys.executable, "-c", _STUBBORN], stdout=subprocess.PIPE)
    try:
        assert child.stdout is not None
        assert child.stdout.readline() == b"ready\n"
        yield child
    finally:
        child.kill()
        child.wait()
        if child.stdout is not None:
            child.stdout.close()


def test_a_process_surviving_sigkill_is_reported_with_its_pid_and_program(
    stubborn: subprocess.Popen[bytes], monkeypatch: pytest.MonkeyPatch
):
    # No test can put a process in uninterruptible sleep: the kernel's SIGKILL is the one seam
    # swapped, it is recorded and not delivered, as the kernel does not deliver it in state D.
    sent: list[int] = []
    real_kill = process_module.os.kill

    def kill(pid: int, signum: int) -> None:
        if signum != 0:  # pid_alive asks with signal 0
            sent.append(signum)
        if signum != signal.SIGKILL:
            real_kill(pid, signum)

    monkeypatch.setattr(process_module.os, "kill", kill)
    with pytest.raises(ServiceError) as raised:
        terminate(stubborn.pid, timeout=0.3)
    assert sent == [signal.SIGTERM, signal.SIGKILL]
    message = str(raised.value)
    assert f"process {stubborn.pid} ({sys.executable} -c import signal" in message
    assert "survived SIGKILL" in message
    assert pid_alive(stubborn.pid)


def test_a_process_ignoring_sigterm_is_killed_and_terminate_returns(
    stubborn: subprocess.Popen[bytes],
):
    terminate(stubborn.pid, timeout=0.3)
    assert not pid_alive(stubborn.pid)


def test_a_process_we_may_not_signal_is_reported_not_a_traceback(
    stubborn: subprocess.Popen[bytes], monkeypatch: pytest.MonkeyPatch
):
    # Another user's process (the tests run as root, who may signal any): the kernel's refusal.
    real_kill = process_module.os.kill

    def kill(pid: int, signum: int) -> None:
        if signum != 0:
            raise PermissionError(1, "Operation not permitted")
        real_kill(pid, signum)

    monkeypatch.setattr(process_module.os, "kill", kill)
    with pytest.raises(ServiceError, match=rf"not allowed to stop process {stubborn.pid} \("):
        terminate(stubborn.pid, timeout=0.3)
