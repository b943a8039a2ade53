"""``parcours partners create|list|revoke`` against the real graph and Redis, then the key it
printed used through HTTP: accepted, and refused right after ``revoke``.

The first ``create`` runs the installed ``parcours`` command in its own process (what an
operator types); the other commands call the same Typer app in this process (in a thread: each
command runs its own event loop), which spares a Python start and the gateway's imports, over a
second each on a busy host, per command.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import re
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner, Result

from gateway.cli._main import app
from gateway.services import free_port
from graph import GraphDatabase
from tests.access.conftest import call
from tests.conftest import Gateway, Services
from tests.fixture_dataset import ALICE

PARCOURS = str(Path(sys.executable).with_name("parcours"))


def _env(services: Services, redis_url: str | None = None) -> dict[str, str]:
    return {
        "PARCOURS_NEO4J_URI": services.neo4j.config.uri,
        "PARCOURS_NEO4J_AUTH": "false",
        "PARCOURS_REDIS_URL": redis_url or services.redis.config.url,
        "COLUMNS": "200",
    }


def _run_installed(services: Services, *args: str) -> subprocess.CompletedProcess[str]:
    """``parcours partners ...`` as its own process: the installed command."""
    return subprocess.run(
        [PARCOURS, "partners", *args],
        env={**os.environ, **_env(services)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


async def _run(services: Services, *args: str, redis_url: str | None = None) -> Result:
    """``parcours partners ...`` through the CLI's app in this process (in a thread: the
    command runs its own event loop). An exception the command did not turn into an exit
    status is kept in ``exception``, not raised."""
    runner = CliRunner()
    env = _env(services, redis_url)
    return await asyncio.to_thread(runner.invoke, app, ["partners", *args], env=env)


def _exited(result: Result, status: int) -> None:
    """``result`` ended with exit status ``status`` through ``typer.Exit`` or Click's usage
    error, never an exception the command let through (a traceback for the operator)."""
    assert result.exit_code == status, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(
        result.exception
    )


async def test_create_list_and_revoke_a_partner(
    services: Services, graph: GraphDatabase, secure_gateway: Gateway
):
    created = await asyncio.to_thread(
        _run_installed,
        services,
        "create",
        "--name",
        "cli-shop",
        "--scope",
        "customer:read",
        "--purpose",
        "marketing",
    )
    assert created.returncode == 0, created.stderr
    key = re.search(r"prc_[A-Za-z0-9_\-]{43}", created.stdout)
    partner = re.search(r"partner-[0-9a-f]{12}", created.stdout)
    assert key, created.stdout
    assert partner, created.stdout
    [row] = await graph.read(
        "MATCH (p:Partner {id: $id}) RETURN properties(p) AS p", {"id": partner[0]}
    )
    stored = row["p"]
    # Only the key's SHA-256 is stored (worked out here, not by the code that stores it).
    assert stored["keyHash"] == hashlib.sha256(key[0].encode()).hexdigest()
    assert stored["scopes"] == ["customer:read"]
    assert key[0] not in str(stored)
    assert key[0].removeprefix("prc_") not in str(stored)

    listed = await _run(services, "list")
    _exited(listed, 0)
    assert partner[0] in listed.stdout
    assert key[0] not in listed.stdout

    who = f'{{ customer(id: "{ALICE}") {{ id }} }}'
    assert (await call(secure_gateway, who, key=key[0])).status == 200  # cached now
    revoked = await _run(services, "revoke", partner[0])
    _exited(revoked, 0)
    assert f"Partner {partner[0]} revoked." in revoked.stdout
    assert (await call(secure_gateway, who, key=key[0])).status == 401

    unknown = await _run(services, "revoke", "partner-000000000000")
    _exited(unknown, 1)
    assert "No partner partner-000000000000." in unknown.stdout
    bad_scope = await _run(services, "create", "--name", "x", "--scope", "everything")
    _exited(bad_scope, 2)  # a usage error, before anything is written
    assert "unknown scope: everything" in bad_scope.output


async def test_a_revoke_with_redis_down_is_revoked_and_audited_and_says_the_cache_may_lag(
    services: Services, graph: GraphDatabase
):
    created = await _run(
        services, "create", "--name", "cli-lagging-cache", "--scope", "customer:read"
    )
    _exited(created, 0)
    partner = re.search(r"partner-[0-9a-f]{12}", created.stdout)
    assert partner, created.stdout
    nothing_listens = f"redis://127.0.0.1:{free_port()}/0"
    revoked = await _run(services, "revoke", partner[0], redis_url=nothing_listens)
    _exited(revoked, 1)  # said, not raised
    assert f"Partner {partner[0]} revoked." in revoked.stdout
    assert "accept its key for up to 30 s more" in revoked.stdout
    rows = await graph.read(
        "MATCH (p:Partner {id: $id}) RETURN p.revokedAt IS NOT NULL AS revoked", {"id": partner[0]}
    )
    assert rows == [{"revoked": True}]
    audited = await graph.read(
        "MATCH (e:AuditEntry {partnerId: 'cli', action: 'admin'}) "
        "WHERE e.fields = ['revokePartner', $id] RETURN count(e) AS n",
        {"id": partner[0]},
    )
    assert audited == [{"n": 1}]
