"""``python -m simulators``: one system or all five, on loopback, stopped cleanly by a signal."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
from pathlib import Path

import aiohttp
import pytest

from gateway.services import free_port, is_listening
from simulators import SYSTEMS
from simulators.__main__ import main

REPO = Path(__file__).resolve().parents[2]


def consecutive_free_ports(count: int) -> int:
    """A run of ``count`` free ports, all below the kernel's ephemeral range.

    Concurrent tests' ``free_port()`` only hands out ephemeral ports (32768 and up), so none of
    them can take one of ours between this check and the simulators binding it.
    """
    start = 20_000 + (os.getpid() % 2_000) * count
    bases: list[int] = [*range(start, 32_000, count), *range(20_000, start, count)]
    for base in bases:
        if not any(is_listening(base + n) for n in range(count)):
            return base
    raise AssertionError("no run of free ports")


async def start(*args: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "simulators",
        *args,
        "--customers",
        "200",
        cwd=REPO,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


async def announced(process: asyncio.subprocess.Process, count: int) -> list[list[str]]:
    assert process.stdout is not None
    lines = [await asyncio.wait_for(process.stdout.readline(), 30) for _ in range(count)]
    return [line.decode().split() for line in lines]


async def stop(process: asyncio.subprocess.Process, signum: int) -> int:
    try:
        process.send_signal(signum)
        return await asyncio.wait_for(process.wait(), 30)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


async def test_all_serves_the_five_systems_on_consecutive_ports_until_sigterm() -> None:
    base = consecutive_free_ports(len(SYSTEMS))
    process = await start("all", "--base-port", str(base))
    try:
        lines = await announced(process, len(SYSTEMS))
        assert lines == [[name, f"http://127.0.0.1:{base + n}"] for n, name in enumerate(SYSTEMS)]
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as session:
            for name, url in lines:
                async with session.get(f"{url}/healthz") as response:
                    assert (await response.json())["system"] == name
    finally:
        assert await stop(process, signal.SIGTERM) == 0


async def test_one_system_serves_on_its_port_and_ctrl_c_stops_it_cleanly() -> None:
    port = free_port()
    process = await start("contact", "--port", str(port), "--latency-ms", "5")
    try:
        assert await announced(process, 1) == [["contact", f"http://127.0.0.1:{port}"]]
    finally:
        assert await stop(process, signal.SIGINT) == 0
    assert not is_listening(port)


async def test_a_busy_port_is_reported_and_exits_with_an_error() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        process = await start("mobile", "--port", str(taken.getsockname()[1]))
        _, stderr = await asyncio.wait_for(process.communicate(), 30)
    assert process.returncode == 1
    assert b"cannot listen" in stderr


@pytest.mark.parametrize(
    "argv",
    [
        ["nope"],
        ["all", "--port", "9000"],
        ["webshop", "--base-port", "9000"],
        ["oms", "--port", "70000"],
        ["stores", "--customers", "-1"],
    ],
)
def test_bad_command_lines_are_refused_with_usage(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(argv)
    assert exit_.value.code == 2
    assert "usage:" in capsys.readouterr().err
