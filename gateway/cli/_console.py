"""The rich console the CLI prints to, and how it reports a failure a person can act on."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import typer
from neo4j.exceptions import AuthError, ClientError, ServiceUnavailable
from pydantic import ValidationError
from pydantic_settings import SettingsError
from rich.console import Console
from rich.markup import escape

from gateway.services import ServiceError
from gateway.settings import MissingNeo4jPassword, Settings

console = Console(stderr=False, highlight=False)
_NO_SUCH_DATABASE = "Neo.ClientError.Database.DatabaseNotFound"


def load_settings() -> Settings:
    """The settings from the environment. A value that does not parse is reported one line per
    variable (which one, what is wrong; never the value, which may be a secret) with exit code 2,
    instead of pydantic's traceback."""
    try:
        return Settings()
    except ValidationError as exc:
        for error in exc.errors():
            field, *inside = (str(part) for part in error["loc"])
            where = f" ({'.'.join(inside)})" if inside else ""
            console.print(
                f"[bold red]error:[/] PARCOURS_{field.upper()}{where}: {escape(error['msg'])}"
            )
        raise typer.Exit(2) from exc
    except SettingsError as exc:  # a JSON setting that is not JSON
        console.print(f"[bold red]error:[/] {escape(str(exc))}")
        raise typer.Exit(2) from exc


@contextmanager
def friendly_errors(settings: Settings | None = None) -> Iterator[None]:
    """Turn a :class:`ServiceError` into a red message and exit code 1, without a traceback.

    With ``settings``, a Neo4j that cannot be reached, refuses the credentials, or whose password
    is unknown is reported the same way, naming the address and the setting to change.
    """
    try:
        if settings is None:
            yield
        else:
            with _neo4j_errors(settings):
                yield
    except ServiceError as exc:
        console.print(f"[bold red]error:[/] {exc}")
        raise typer.Exit(1) from exc


@contextmanager
def _neo4j_errors(settings: Settings) -> Iterator[None]:
    uri = settings.bolt_uri
    try:
        yield
    except ServiceUnavailable as exc:
        raise ServiceError(
            f"cannot reach Neo4j at {uri}",
            hint="start it (`parcours services start`), or set PARCOURS_NEO4J_URI (or "
            "PARCOURS_NEO4J_BOLT_PORT) to where yours listens",
        ) from exc
    except AuthError as exc:
        raise ServiceError(
            f"Neo4j at {uri} refused the credentials of user {settings.neo4j_user!r}",
            hint="set PARCOURS_NEO4J_USER and PARCOURS_NEO4J_PASSWORD, or leave them unset to use "
            f"the password `parcours services start` wrote in {settings.neo4j_password_file}",
        ) from exc
    except MissingNeo4jPassword as exc:
        raise ServiceError(str(exc)) from exc
    except ClientError as exc:
        if exc.code != _NO_SUCH_DATABASE:
            raise
        raise ServiceError(
            f"Neo4j at {uri} has no database {settings.neo4j_database!r}",
            hint="set PARCOURS_NEO4J_DATABASE to one it has (`SHOW DATABASES`; Neo4j Community "
            "has one, `neo4j`), or leave it unset",
        ) from exc
