"""``parcours partners create|list|revoke``: the partners that may call the gateway.

``create`` prints the new API key once (only its hash is stored); ``revoke`` marks the partner
revoked in the graph and drops it from the Redis cache, so every instance refuses it at once.
Each command is written to the audit log as an admin action of ``cli``.
"""

from __future__ import annotations

import asyncio
from typing import Annotated

import structlog
import typer
from redis.asyncio import Redis
from redis.exceptions import RedisError
from rich.table import Table

from gateway.auth import forget_partner
from gateway.cli._console import console, friendly_errors, load_settings
from gateway.settings import Settings
from graph import GraphDatabase, audit, migrate, partners
from graph.consents import PURPOSES
from resolvers.access import SCOPES

app = typer.Typer(help="Create, list and revoke partner API keys.", no_args_is_help=True)
log = structlog.get_logger("parcours.partners")
_CLI = "cli"
_SCOPE_HELP = "A scope to grant (repeat): " + ", ".join(SCOPES) + "."
_PURPOSE_HELP = "A purpose it acts for (repeat): " + ", ".join(PURPOSES) + "."


def _connect(settings: Settings) -> GraphDatabase:
    return GraphDatabase.connect(
        settings.bolt_uri, settings.neo4j_credentials(), settings.neo4j_database
    )


def _check(values: list[str], allowed: tuple[str, ...], what: str) -> tuple[str, ...]:
    unknown = sorted(set(values) - set(allowed))
    if unknown:
        raise typer.BadParameter(
            f"unknown {what}: {', '.join(unknown)} (known: {', '.join(allowed)})"
        )
    return tuple(values)


async def _create(
    settings: Settings,
    name: str,
    scopes: tuple[str, ...],
    purposes: tuple[str, ...],
    restrict: str | None,
) -> tuple[partners.Partner, str]:
    db = _connect(settings)
    try:
        await migrate(db, inputs=settings.migration_inputs())
        partner, key = await partners.create_partner(db, name, scopes, purposes, restrict)
        await audit.write_entries(
            db, [audit.AuditRecord(_CLI, "admin", None, ("createPartner", partner.id))]
        )
        return partner, key
    finally:
        await db.close()


async def _list(settings: Settings) -> list[partners.Partner]:
    db = _connect(settings)
    try:
        return await partners.list_partners(db)
    finally:
        await db.close()


async def _revoke(settings: Settings, partner_id: str) -> tuple[partners.Partner | None, bool]:
    """Revoke in the graph (the truth every instance reads) and audit it, then drop the cached
    copies; answers the partner (None if unknown) and whether the cache was cleared."""
    db = _connect(settings)
    try:
        partner = await partners.revoke_partner(db, partner_id)
        if partner is None:
            return None, True
        await audit.write_entries(
            db, [audit.AuditRecord(_CLI, "admin", None, ("revokePartner", partner.id))]
        )
    finally:
        await db.close()
    redis = Redis.from_url(
        settings.redis_dsn,
        socket_timeout=settings.redis_timeout_s,
        socket_connect_timeout=settings.redis_timeout_s,
    )
    try:
        await forget_partner(redis, partner)
    except RedisError as exc:
        log.warning("partner cache not cleared", partner=partner.id, error=repr(exc))
        return partner, False
    finally:
        await redis.aclose()
    return partner, True


@app.command("create")
def create_command(
    name: str = typer.Option(..., help="The partner's name."),
    scope: Annotated[list[str] | None, typer.Option(help=_SCOPE_HELP)] = None,
    purpose: Annotated[list[str] | None, typer.Option(help=_PURPOSE_HELP)] = None,
    restrict_to: str | None = typer.Option(
        None, help="Only customers who granted this consent purpose."
    ),
) -> None:
    """Create a partner and print its API key (shown this once only)."""
    scopes = _check(scope or [], SCOPES, "scope")
    purposes = _check(purpose or [], PURPOSES, "purpose")
    if restrict_to is not None:
        _check([restrict_to], PURPOSES, "purpose")
    settings = load_settings()
    with friendly_errors(settings):
        partner, key = asyncio.run(_create(settings, name, scopes, purposes, restrict_to))
    console.print(f"Partner {partner.id} ({partner.name}): scopes {', '.join(partner.scopes)}")
    console.print("API key (store it now, it is not kept):")
    console.print(key, soft_wrap=True)


@app.command("list")
def list_command() -> None:
    """List partners (never their keys)."""
    table = Table("id", "name", "scopes", "purposes", "restricted to", "created", "revoked")
    settings = load_settings()
    with friendly_errors(settings):
        found = asyncio.run(_list(settings))
    for p in found:
        table.add_row(
            p.id,
            p.name,
            " ".join(p.scopes),
            " ".join(p.purposes),
            p.customer_restriction or "",
            p.created_at.isoformat(timespec="seconds"),
            p.revoked_at.isoformat(timespec="seconds") if p.revoked_at else "",
        )
    console.print(table)


@app.command("revoke")
def revoke_command(partner_id: str = typer.Argument(..., help="The partner's id.")) -> None:
    """Revoke a partner: its key and tokens are refused at once, on every instance."""
    settings = load_settings()
    with friendly_errors(settings):
        partner, cache_cleared = asyncio.run(_revoke(settings, partner_id))
    if partner is None:
        console.print(f"[red]No partner {partner_id}.[/red]")
        raise typer.Exit(1)
    console.print(f"Partner {partner.id} revoked.")
    if not cache_cleared:
        console.print(
            "[bold red]error:[/] Redis could not be reached to drop the cached partner: "
            f"instances that cached it accept its key for up to {settings.partner_cache_ttl_s} s "
            "more (PARCOURS_PARTNER_CACHE_TTL_S); run `revoke` again once Redis is back"
        )
        raise typer.Exit(1)
