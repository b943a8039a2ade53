"""A real Neo4j 5.26 Community server on the JVM, configured and supervised by us.

The server runs from the Maven class path (see ``_neo4j_artifacts``) with a generated
``neo4j.conf``: Bolt on 127.0.0.1 only, HTTP off, every directory under one state folder. This
module
must never reach anything but loopback.
"""

from __future__ import annotations

import secrets
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import neo4j
from neo4j.exceptions import AuthError, Neo4jError, ServiceUnavailable

from gateway.services._errors import ServiceError
from gateway.services._neo4j_artifacts import check_java, resolve_neo4j_artifacts
from gateway.services._ports import ensure_port_free
from gateway.services._process import command_line, pid_alive, read_pid, spawn, tail, terminate
from gateway.services._secret_files import write_secret

# The import marker's line naming the import tool's pid.
IMPORT_PID_PREFIX = "pid "


def _running_import_tool(marker_lines: list[str]) -> int | None:
    """The pid the import marker names, if that process still runs Neo4j's import tool."""
    for line in marker_lines:
        if line.startswith(IMPORT_PID_PREFIX):
            number = line.removeprefix(IMPORT_PID_PREFIX).strip()
            if number.isdigit() and pid_alive(int(number)):
                command = command_line(int(number)) or ""
                return int(number) if "org.neo4j.cli.AdminTool" in command else None
    return None


# Told, while a start waits, the seconds waited so far and why Bolt did not answer yet.
WaitCallback = Callable[[float, Exception], None]

JVM_OPENS = (
    "--add-opens=java.base/java.nio=ALL-UNNAMED",
    "--add-opens=java.base/java.io=ALL-UNNAMED",
    "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
    "--add-opens=java.base/java.util.concurrent=ALL-UNNAMED",
    "--add-opens=java.base/java.lang=ALL-UNNAMED",
    "-Dio.netty.tryReflectionSetAccessible=true",
)


@dataclass(frozen=True)
class Neo4jConfig:
    """Where and how one Neo4j server runs."""

    home: Path
    cache_dir: Path
    version: str
    bolt_port: int
    auth: bool = True
    heap: str = "512m"
    pagecache: str = "256m"
    start_timeout_s: float = 90.0

    @property
    def uri(self) -> str:
        return f"bolt://127.0.0.1:{self.bolt_port}"

    @property
    def conf_file(self) -> Path:
        return self.home / "conf" / "neo4j.conf"

    @property
    def password_file(self) -> Path:
        return self.home / "password"

    @property
    def pid_file(self) -> Path:
        return self.home / "run" / "parcours-neo4j.pid"

    @property
    def log_file(self) -> Path:
        return self.home / "logs" / "console.log"

    @property
    def import_marker(self) -> Path:
        """Present while the import tool replaces a database, and after it did not finish."""
        return self.home / "data" / "parcours-import-unfinished"


class Neo4jServer:
    """Start, wait for, and stop one Neo4j server process.

    Example:
        >>> server = Neo4jServer(Neo4jConfig(home=Path("/tmp/n"), cache_dir=Path("/tmp/c"),
        ...                                  version="5.26.30", bolt_port=7687, auth=False))
        >>> server.config.uri
        'bolt://127.0.0.1:7687'
    """

    def __init__(self, config: Neo4jConfig) -> None:
        self.config = config
        self._process: subprocess.Popen[bytes] | None = None

    def running_pid(self) -> int | None:
        return read_pid(self.config.pid_file, self.runs_as)

    def runs_as(self, command: str) -> bool:
        """Whether ``command`` is this server's JVM (the pid file may name a reused pid)."""
        return "CommunityEntryPoint" in command and f"--home-dir={self.config.home} " in (
            command + " "
        )

    def credentials(self) -> tuple[str, str] | None:
        if not self.config.auth:
            return None
        return ("neo4j", self.config.password_file.read_text().strip())

    def start(self, on_wait: WaitCallback | None = None, *, timeout_s: float | None = None) -> None:
        """Start the server unless ours already runs, then wait until Bolt answers ``RETURN 1``.

        ``on_wait`` hears about every probe that found the server not ready yet; ``timeout_s``
        bounds the wait instead of ``start_timeout_s`` (the first start on an imported store).
        """
        if self.running_pid() is not None:
            self.wait_ready(on_wait, timeout_s=timeout_s)
            return
        self._refuse_unfinished_import()
        java = check_java()
        lib = resolve_neo4j_artifacts(self.config.cache_dir, self.config.version)
        ensure_port_free(self.config.bolt_port, "Neo4j", "PARCOURS_NEO4J_BOLT_PORT")
        self._write_conf()
        argv = [
            java,
            f"-Xms{self.config.heap}",
            f"-Xmx{self.config.heap}",
            "-XX:+UseG1GC",
            "-XX:-OmitStackTraceInFastThrow",
            *JVM_OPENS,
            "-cp",
            f"{lib}/*",
            "org.neo4j.server.CommunityEntryPoint",
            f"--home-dir={self.config.home}",
            f"--config-dir={self.config.home / 'conf'}",
            "--console-mode",
        ]
        self._process = spawn(argv, self.config.log_file, cwd=self.config.home)
        self.config.pid_file.write_text(str(self._process.pid))
        self.wait_ready(on_wait, timeout_s=timeout_s)

    def _refuse_unfinished_import(self) -> None:
        """A bulk import killed part-way (Ctrl-C, out of memory) leaves a half-written store,
        on which the server starts but its database never comes online: say so at once."""
        marker = self.config.import_marker
        if not marker.exists():
            return
        lines = marker.read_text(encoding="utf-8", errors="replace").splitlines()
        started = lines[0].strip() if lines else "?"
        tool = _running_import_tool(lines)
        if tool is not None:
            raise ServiceError(
                f"a bulk import into Neo4j is running (pid {tool}, started {started}): Neo4j "
                "is not started on the database it is writing",
                hint="wait for `parcours seed --bulk` to finish: it starts Neo4j itself",
            )
        raise ServiceError(
            f"the bulk import into Neo4j started {started} did not finish (interrupted or "
            "failed): the database files are incomplete, so Neo4j is not started",
            hint="import again with `parcours seed --bulk --force`; or, for an empty graph, "
            f"delete {self.config.home / 'data'} and start again",
        )

    def wait_ready(
        self, on_wait: WaitCallback | None = None, *, timeout_s: float | None = None
    ) -> None:
        """Block until Bolt answers, setting the generated password on first start; at most
        ``timeout_s`` (``start_timeout_s`` by default)."""
        timeout_s = timeout_s or self.config.start_timeout_s
        started = time.monotonic()
        deadline = started + timeout_s
        last_error = "no answer yet"
        while time.monotonic() < deadline:
            pid = self.running_pid()
            if pid is None or not pid_alive(pid):
                raise ServiceError(
                    "Neo4j exited while starting",
                    hint=f"see {self.config.log_file} and {self.config.home / 'logs'}",
                    detail=tail(self.config.log_file),
                )
            try:
                self._probe()
            except (ServiceUnavailable, OSError, Neo4jError) as exc:
                last_error = f"{type(exc).__name__}: {exc}"
                if on_wait is not None:
                    on_wait(time.monotonic() - started, exc)
                time.sleep(0.5)
            else:
                return
        raise ServiceError(
            f"Neo4j did not answer on {self.config.uri} within {timeout_s:.0f} s ({last_error})",
            hint=f"see {self.config.log_file}",
            detail=tail(self.config.log_file),
        )

    def stop(self) -> None:
        pid = self.running_pid()
        if pid is not None:
            terminate(pid, timeout=60)
        self.config.pid_file.unlink(missing_ok=True)
        if self._process is not None:
            self._process.wait(timeout=5)
            self._process = None

    def _probe(self) -> None:
        auth = self.credentials()
        try:
            with (
                neo4j.GraphDatabase.driver(
                    self.config.uri, auth=auth, connection_timeout=2.0
                ) as driver,
                driver.session(database="neo4j") as session,
            ):
                # A plain session run: execute_query would retry (and log) on its own.
                session.run("RETURN 1").consume()
        except AuthError:
            if auth is None or not self._set_initial_password(auth[1]):
                raise

    def _set_initial_password(self, password: str) -> bool:
        """First start with auth on: move the ``neo4j`` user off its default password."""
        with (
            neo4j.GraphDatabase.driver(
                self.config.uri, auth=("neo4j", "neo4j"), connection_timeout=2.0
            ) as driver,
            driver.session(database="system") as session,
        ):
            try:
                session.run(
                    "ALTER CURRENT USER SET PASSWORD FROM $old TO $new",
                    {"old": "neo4j", "new": password},
                ).consume()
            except AuthError:
                return False
        return True

    def _write_conf(self) -> None:
        home = self.config.home
        for sub in ("conf", "data", "logs", "run", "plugins", "import", "lib-ext"):
            (home / sub).mkdir(parents=True, exist_ok=True)
        if self.config.auth and not self.config.password_file.exists():
            write_secret(self.config.password_file, secrets.token_urlsafe(18))
        settings = {
            "server.default_listen_address": "127.0.0.1",
            "server.default_advertised_address": "127.0.0.1",
            "server.bolt.enabled": "true",
            "server.bolt.listen_address": f"127.0.0.1:{self.config.bolt_port}",
            "server.http.enabled": "false",
            "server.https.enabled": "false",
            "dbms.security.auth_enabled": str(self.config.auth).lower(),
            "server.directories.data": str(home / "data"),
            "server.directories.logs": str(home / "logs"),
            "server.directories.run": str(home / "run"),
            "server.directories.plugins": str(home / "plugins"),
            "server.directories.import": str(home / "import"),
            "server.directories.lib": str(home / "lib-ext"),
            "server.memory.heap.initial_size": self.config.heap,
            "server.memory.heap.max_size": self.config.heap,
            "server.memory.pagecache.size": self.config.pagecache,
            "dbms.usage_report.enabled": "false",
            # No keep-alive NOOPs while a request is being processed, hence no
            # `connection.recv_timeout_seconds` hint at HELLO: with it the Python driver arms a
            # read timeout on every socket read (a task and a timer each, ≈ 0.2 ms of CPU per
            # statement). graph/database.py bounds each exchange with one timer instead.
            "server.bolt.connection_keep_alive_for_requests": "STREAMING",
            "db.tx_log.rotation.retention_policy": "1 files",
        }
        conf = "\n".join(f"{key}={value}" for key, value in settings.items())
        self.config.conf_file.write_text(conf + "\n")
