"""A real redis-server on loopback, installed from Debian's package when missing and we are root."""

from __future__ import annotations

import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import redis

from gateway.services._debian import ensure_debian_binary
from gateway.services._errors import ServiceError
from gateway.services._ports import ensure_port_free
from gateway.services._process import pid_alive, read_pid, spawn, tail, terminate


@dataclass(frozen=True)
class RedisConfig:
    """Where and how one redis-server runs."""

    home: Path
    port: int
    persistent: bool = False
    start_timeout_s: float = 20.0

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    @property
    def pid_file(self) -> Path:
        return self.home / "parcours-redis.pid"

    @property
    def log_file(self) -> Path:
        return self.home / "redis.log"


def ensure_redis_binary() -> str:
    """Path of ``redis-server``, installing Debian's package first when we are root."""
    return ensure_debian_binary("redis-server", ("redis-server",), "/usr/bin/redis-server")


class RedisServer:
    """Start, wait for, and stop one redis-server process.

    Example:
        >>> RedisServer(RedisConfig(home=Path("/tmp/r"), port=6399)).config.url
        'redis://127.0.0.1:6399/0'
    """

    def __init__(self, config: RedisConfig) -> None:
        self.config = config
        self._process: subprocess.Popen[bytes] | None = None

    def running_pid(self) -> int | None:
        return read_pid(self.config.pid_file, self.runs_as)

    def runs_as(self, command: str) -> bool:
        """Whether ``command`` is this redis-server: its arguments until it renames itself
        (``redis-server 127.0.0.1:PORT``); the pid file may name a reused pid."""
        words = command.split()
        if not words or not words[0].endswith("redis-server"):
            return False
        port = str(self.config.port)
        return f"127.0.0.1:{port}" in words or f"--port {port} " in f"{command} "

    def start(self) -> None:
        if self.running_pid() is not None:
            self.wait_ready()
            return
        binary = ensure_redis_binary()
        ensure_port_free(self.config.port, "Redis", "PARCOURS_REDIS_PORT")
        self.config.home.mkdir(parents=True, exist_ok=True)
        argv = [
            binary,
            "--bind",
            "127.0.0.1",
            "--port",
            str(self.config.port),
            "--dir",
            str(self.config.home),
            "--daemonize",
            "no",
            "--protected-mode",
            "yes",
        ]
        if self.config.persistent:
            argv += ["--appendonly", "yes", "--save", "60 1000"]
        else:
            argv += ["--appendonly", "no", "--save", ""]
        self._process = spawn(argv, self.config.log_file)
        self.config.pid_file.write_text(str(self._process.pid))
        self.wait_ready()

    def wait_ready(self) -> None:
        deadline = time.monotonic() + self.config.start_timeout_s
        while time.monotonic() < deadline:
            pid = self.running_pid()
            if pid is None or not pid_alive(pid):
                raise ServiceError(
                    "redis-server exited while starting", detail=tail(self.config.log_file)
                )
            try:
                client = redis.Redis(port=self.config.port, socket_timeout=1.0)
                try:
                    if client.ping():
                        return
                finally:
                    client.close()
            except redis.RedisError:
                time.sleep(0.1)
        raise ServiceError(
            f"Redis did not answer on port {self.config.port} within "
            f"{self.config.start_timeout_s:.0f} s",
            detail=tail(self.config.log_file),
        )

    def stop(self) -> None:
        pid = self.running_pid()
        if pid is not None:
            terminate(pid, timeout=15)
        self.config.pid_file.unlink(missing_ok=True)
        if self._process is not None:
            self._process.wait(timeout=5)
            self._process = None
