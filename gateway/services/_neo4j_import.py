"""Run Neo4j's own import tool (``neo4j-admin database import full``) from the Maven jars.

The tool's entry point, ``org.neo4j.cli.AdminTool``, lives in the same class path as the server
(``neo4j-command-line`` and ``neo4j-import-tool``); it reads the server's ``neo4j.conf`` to find the
data folder. It replaces the whole database, so it must only run while the server is stopped:
this module neither stops nor starts the server, the caller does, and it refuses to run while
ours is up. The tool never outlives the process that runs it (``setpriv --pdeathsig KILL``, then
a check that its parent is still that process, and a kill on any exception): a tool left running
after our CLI was killed would finish the import behind the marker of an unfinished one.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path

from gateway.services._debian import ensure_debian_binary
from gateway.services._errors import ServiceError
from gateway.services._neo4j import IMPORT_PID_PREFIX, JVM_OPENS, Neo4jConfig, Neo4jServer
from gateway.services._neo4j_artifacts import check_java, resolve_neo4j_artifacts
from gateway.services._process import tail

OutputCallback = Callable[[str], None]


def import_csv(
    server: Neo4jServer,
    nodes: Sequence[tuple[str, Sequence[Path]]],
    relationships: Sequence[tuple[str, Sequence[Path]]],
    *,
    database: str = "neo4j",
    heap: str = "1g",
    max_memory: str = "40%",
    on_output: OutputCallback | None = None,
) -> None:
    """Replace ``database`` with the CSV files' graph; each group is (label or type, files).

    ``heap`` is the tool's JVM heap, ``max_memory`` its off-heap budget (bytes, ``4g`` or a
    share of the free memory such as ``40%``). Every line the tool prints goes to ``on_output``
    and to ``logs/import.log`` under the server's home.
    """
    config = server.config
    if server.running_pid() is not None:
        raise ServiceError("Neo4j must be stopped before a bulk import replaces its database")
    if not config.conf_file.exists():
        raise ServiceError(
            f"no {config.conf_file}: the import tool reads the server's configuration",
            hint="run `parcours services start` once so that the server writes it",
        )
    java = check_java()
    lib = resolve_neo4j_artifacts(config.cache_dir, config.version)
    if not any(lib.glob("neo4j-import-tool-*.jar")):
        raise ServiceError(
            f"no neo4j-import-tool jar in {lib}",
            hint=f"delete {lib} so that the next command resolves the jars again",
        )
    argv = armed(
        java,
        f"-Xmx{heap}",
        "-XX:+UseG1GC",
        *JVM_OPENS,
        "-cp",
        f"{lib}/*",
        "org.neo4j.cli.AdminTool",
        "database",
        "import",
        "full",
        database,
        "--overwrite-destination=true",
        f"--max-off-heap-memory={max_memory}",
        "--bad-tolerance=0",
        f"--report-file={config.home / 'logs' / 'import.report'}",
        *(f"--nodes={label}={_files(files)}" for label, files in nodes),
        *(f"--relationships={kind}={_files(files)}" for kind, files in relationships),
    )
    # Written before the tool touches the database, removed only once it succeeded: a tool
    # killed part-way (with us or alone) leaves it, and the server's next start reports the
    # unfinished import.
    config.import_marker.parent.mkdir(parents=True, exist_ok=True)
    config.import_marker.write_text(
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC (database {database})\n", encoding="utf-8"
    )
    _run(argv, config, on_output)
    config.import_marker.unlink()


# Run by `setpriv` once the death signal is armed, with this process's pid then the command:
# the shell's PPID is its parent's pid after arming. If that is not us, we died between the
# fork and the arming (a Ctrl-C right then), the signal is armed against whoever adopted the
# orphan, and the command must not start; if we die after the arming, the signal kills it.
_ARMED_CHECK = (
    'parent=$1; shift; [ "$PPID" = "$parent" ] && exec "$@"; '
    'echo "parcours: the process that started $1 is gone; not starting it" >&2; exit 70'
)


def armed(*command: str) -> list[str]:
    """``command`` run so that the kernel kills it when this process dies, even by SIGKILL (a
    killed import's marker then tells the truth, the import did not finish), and never started
    when this process died before the signal was armed. The pid stays the command's own
    (``setpriv`` and the shell each exec the next)."""
    setpriv = ensure_debian_binary("setpriv", ("util-linux",), "/usr/bin/setpriv")
    check = ["/bin/sh", "-c", _ARMED_CHECK, "sh", str(os.getpid())]
    return [setpriv, "--pdeathsig=KILL", "--", *check, *command]


def _files(files: Sequence[Path]) -> str:
    return ",".join(str(path) for path in files)


def _run(argv: list[str], config: Neo4jConfig, on_output: OutputCallback | None) -> None:
    home, log_file = config.home, config.home / "logs" / "import.log"
    env: Mapping[str, str] = {
        **os.environ,
        "NEO4J_HOME": str(home),
        "NEO4J_CONF": str(home / "conf"),
    }
    log_file.parent.mkdir(parents=True, exist_ok=True)
    with (
        log_file.open("w", encoding="utf-8") as log,
        subprocess.Popen(
            argv,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            cwd=home,
            env=env,
            text=True,
            encoding="utf-8",
            errors="replace",
        ) as tool,
    ):
        assert tool.stdout is not None  # noqa: S101 - piped just above
        # The server's start, from another terminal meanwhile, tells a running import from one
        # that did not finish by this pid.
        with config.import_marker.open("a", encoding="utf-8") as marker:
            marker.write(f"{IMPORT_PID_PREFIX}{tool.pid}\n")
        try:
            for line in tool.stdout:
                log.write(line)
                if on_output is not None:
                    on_output(line.rstrip("\n"))
        except BaseException:
            # Ctrl-C or a failing callback: Popen's exit would leave the tool running on.
            tool.kill()
            tool.wait()
            raise
        code = tool.wait()
    if code != 0:
        raise ServiceError(
            f"the Neo4j import tool failed (exit {code})",
            hint=f"see {log_file}; the database is left unusable until an import succeeds "
            "(`parcours seed --bulk --force` imports without starting it first)",
            detail=tail(log_file),
        )
