"""The channel-system simulators as one supervised process, for ``make up``.

The gateway never imports the simulators: they run as ``python -m simulators all`` on loopback
ports and are reached over HTTP only, exactly like the real systems would be.
"""

from __future__ import annotations

import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from gateway.services._errors import ServiceError
from gateway.services._ports import ensure_port_free
from gateway.services._process import pid_alive, read_pid, spawn, tail, terminate
from gateway.settings import Settings

SYSTEMS = ("webshop", "stores", "oms", "contact", "mobile")
# The channels the simulators post events under (stores → store, OMS → web).
WEBHOOK_CHANNELS = ("store", "web")
# Read by ``python -m simulators`` when ``--webhook-secret`` is not given.
WEBHOOK_SECRET_VARIABLE = "PARCOURS_SIMULATORS_WEBHOOK_SECRET"  # noqa: S105 - a name, not a key


@dataclass(frozen=True)
class SimulatorsConfig:
    home: Path
    base_port: int
    seed: int = 42
    customers: int = 2000
    latency_ms: float = 20.0
    jitter_ms: float = 10.0
    start_timeout_s: float = 60.0
    webhook_url: str | None = None
    webhook_secret: str | None = None

    @property
    def pid_file(self) -> Path:
        return self.home / "simulators.pid"

    @property
    def log_file(self) -> Path:
        return self.home / "simulators.log"

    def url(self, system: str) -> str:
        return f"http://127.0.0.1:{self.base_port + SYSTEMS.index(system)}"

    def command(self) -> list[str]:
        """The ``python -m simulators all ...`` command line for this configuration (without the
        webhook key: see ``environment``)."""
        argv = [
            sys.executable,
            "-m",
            "simulators",
            "all",
            "--base-port",
            str(self.base_port),
            "--seed",
            str(self.seed),
            "--customers",
            str(self.customers),
            "--latency-ms",
            str(self.latency_ms),
            "--jitter-ms",
            str(self.jitter_ms),
        ]
        if self.webhook_url is not None:
            argv += ["--webhook-url", self.webhook_url]
        return argv

    def environment(self) -> dict[str, str]:
        """What the command needs in its environment: the webhook key, kept off the command
        line (``ps`` shows a command line to every local user; an environment only to its
        owner)."""
        if self.webhook_secret is None:
            return {}
        return {WEBHOOK_SECRET_VARIABLE: self.webhook_secret}


def gateway_webhooks(settings: Settings) -> tuple[str | None, str | None]:
    """Where the demo's simulators post their events, and the key they sign them with.

    The gateway's ``/webhooks`` on loopback. In dev with no secret configured for the store and
    web channels, the key is the dev convention ``dev-webhook-secret-{channel}`` (the simulators
    put the channel in); otherwise both channels must share one configured secret, since one
    environment variable carries it: when they differ, or one is missing, nothing is posted.
    """
    url = f"http://127.0.0.1:{settings.port}/webhooks"
    if settings.is_dev and not any(c in settings.webhook_secrets for c in WEBHOOK_CHANNELS):
        return url, "dev-webhook-secret-{channel}"
    secrets = [settings.webhook_secret(channel) for channel in WEBHOOK_CHANNELS]
    values = {secret.get_secret_value() for secret in secrets if secret is not None}
    if None in secrets or len(values) != 1:
        return None, None
    return url, values.pop()


class Simulators:
    """Start, wait for, and stop the five simulators (one process).

    Example:
        >>> Simulators(SimulatorsConfig(home=Path("/tmp/s"), base_port=9101)).config.url("oms")
        'http://127.0.0.1:9103'
    """

    def __init__(self, config: SimulatorsConfig) -> None:
        self.config = config
        self._process: subprocess.Popen[bytes] | None = None

    def running_pid(self) -> int | None:
        return read_pid(self.config.pid_file, self.runs_as)

    def runs_as(self, command: str) -> bool:
        """Whether ``command`` is these simulators (the pid file may name a reused pid)."""
        return f" -m simulators all --base-port {self.config.base_port} " in f" {command} "

    def start(self) -> None:
        if self.running_pid() is not None:
            self.wait_ready()
            return
        for index, system in enumerate(SYSTEMS):
            ensure_port_free(
                self.config.base_port + index,
                f"The {system} simulator",
                "PARCOURS_CHANNEL_BASE_PORT",
            )
        self.config.home.mkdir(parents=True, exist_ok=True)
        self._process = spawn(
            self.config.command(), self.config.log_file, env=self.config.environment()
        )
        self.config.pid_file.write_text(str(self._process.pid))
        self.wait_ready()

    def wait_ready(self) -> None:
        deadline = time.monotonic() + self.config.start_timeout_s
        pending = list(SYSTEMS)
        while pending and time.monotonic() < deadline:
            pid = self.running_pid()
            if pid is None or not pid_alive(pid):
                raise ServiceError(
                    "the channel simulators exited while starting",
                    detail=tail(self.config.log_file),
                )
            pending = [system for system in pending if not self._healthy(system)]
            if pending:
                time.sleep(0.2)
        if pending:
            raise ServiceError(
                f"simulators not answering: {', '.join(pending)}", detail=tail(self.config.log_file)
            )

    def stop(self) -> None:
        pid = self.running_pid()
        if pid is not None:
            terminate(pid, timeout=15)
        self.config.pid_file.unlink(missing_ok=True)
        if self._process is not None:
            self._process.wait(timeout=5)
            self._process = None

    def _healthy(self, system: str) -> bool:
        try:
            with urllib.request.urlopen(f"{self.config.url(system)}/healthz", timeout=1.0) as r:  # noqa: S310 - loopback URL we built
                return bool(r.status == 200)
        except (urllib.error.URLError, OSError):
            return False
