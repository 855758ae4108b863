"""The ``throughline`` command: serve the API, migrate the database, manage API keys, print the OpenAPI spec."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any

import typer
import uvicorn
from pydantic import ValidationError
from sqlmodel import Session

from service import bulk_cli, db, keys, logs
from service.errors import DatabaseNotMigratedError, NotFoundError
from service.main import create_app, openapi_json
from service.schemas import KeyIn
from service.settings import get_settings

__all__ = ["app", "main"]

app = typer.Typer(help="Throughline: customer identity resolution.", no_args_is_help=True, add_completion=False)


def _log_config(level: str) -> dict[str, Any]:
    """Return the server's logging configuration: JSON lines at ``level``, uvicorn's access log off."""
    return logs.log_config(level)


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(envvar="PORT", help="Port to listen on.")] = 8000,
    workers: Annotated[int, typer.Option(min=1, help="Worker processes.")] = 1,
) -> None:
    """Serve the HTTP API (the database must be migrated first)."""
    level = get_settings().log_level
    # access_log=False: uvicorn's access lines hold the raw path; the app logs one JSON line per request instead.
    uvicorn.run("service.main:create_app", factory=True, host=host, port=port, workers=workers,
                log_level=level.lower(), log_config=_log_config(level), access_log=False)


@app.command()
def migrate() -> None:
    """Apply the database migrations to THROUGHLINE_DATABASE_URL."""
    url = get_settings().database_url
    result = db.migrate(url)
    where = db.display_url(url)
    if result.before == result.after:
        typer.echo(f"{where} is already at revision {result.after}; nothing to do")
    else:
        typer.echo(f"migrated {where} from revision {result.before or 'none (empty)'} to {result.after}")
    engine = db.make_engine(url)
    try:
        first_key = keys.bootstrap_admin_key(engine)
    finally:
        engine.dispose()
    if first_key is not None:
        typer.echo("created the first API key (scopes read, write, admin); it is shown this once, store it now:")
        typer.echo(first_key)


keys_app = typer.Typer(help="Create, list and revoke API keys.", no_args_is_help=True)
app.add_typer(keys_app, name="keys")
_SCOPE_HELP = f"A scope to grant, repeatable: {', '.join(keys.SCOPES)}."


@contextmanager
def _session() -> Iterator[Session]:
    """Open a session on THROUGHLINE_DATABASE_URL, or exit saying to migrate when it is not at the head."""
    engine = db.make_engine(get_settings().database_url)
    try:
        db.require_migrated(engine)
        with Session(engine, expire_on_commit=False) as session:
            yield session
    except DatabaseNotMigratedError as error:
        typer.echo(str(error), err=True)
        raise typer.Exit(1) from None
    finally:
        engine.dispose()


@keys_app.command("create")
def create_key(
    scope: Annotated[list[str], typer.Option("--scope", help=_SCOPE_HELP)],
    name: Annotated[str, typer.Option(help="What the key is for.")] = "",
) -> None:
    """Create an API key and print it alone on one line; it is stored only as a hash and never shown again."""
    unknown = sorted(set(scope) - set(keys.SCOPES))
    if unknown:
        raise typer.BadParameter(f"unknown scope {', '.join(unknown)}; choose from {', '.join(keys.SCOPES)}",
                                 param_hint="--scope")
    try:
        KeyIn(scopes=scope, name=name)  # the rules POST /v1/keys applies
    except ValidationError as error:
        first = error.errors()[0]
        raise typer.BadParameter(first["msg"], param_hint=f"--{first['loc'][0]}") from None
    with _session() as session:
        issued = keys.create_key(session, scopes=scope, name=name, actor="cli", request_id=None)
        session.commit()
    typer.echo(f"created key {issued.row.id} with scopes {issued.row.scopes}; store it now, it is not shown again",
               err=True)
    typer.echo(issued.key)


@keys_app.command("list")
def list_keys() -> None:
    """List the API keys: id, scopes, created, revoked, name (never the keys themselves)."""
    with _session() as session:
        rows = keys.list_keys(session)
    for row in rows:
        revoked = f"revoked {row.revoked_at:%Y-%m-%dT%H:%M:%SZ}" if row.revoked_at else "active"
        typer.echo(f"{row.id}  {','.join(sorted(keys.scopes_of(row), key=keys.SCOPES.index)):<24}"
                   f"  created {row.created_at:%Y-%m-%dT%H:%M:%SZ}  {revoked}  {row.name}")


@keys_app.command("revoke")
def revoke_key(key_id: Annotated[str, typer.Argument(help="The key's id (as `keys list` shows it), or the whole "
                                                       "key (tl_…), say one that leaked.")]) -> None:
    """Revoke an API key: requests with it answer 401 from now on.

    A running server sees it within its `THROUGHLINE_KEY_CACHE_SECONDS`. Given the whole key, it
    revokes the key of that id, and never prints the key's secret.
    """
    if key_id.startswith(keys.PREFIX):
        whole_key_id = keys.key_id_of(key_id)
        if whole_key_id is None:  # not shaped like a key: say so without printing what may be most of one
            raise typer.BadParameter("not a key id nor a whole key (tl_<id>_<secret>)", param_hint="KEY_ID")
        key_id = whole_key_id
    try:
        with _session() as session:
            keys.revoke_key(session, key_id=key_id, actor="cli", request_id=None)
            session.commit()
    except NotFoundError as error:
        raise typer.BadParameter(str(error), param_hint="KEY_ID") from None
    typer.echo(f"revoked key {key_id}")


app.command("import")(bulk_cli.import_command)
app.command("cancel-import")(bulk_cli.cancel_import_command)
app.command("export")(bulk_cli.export_command)
app.command("resolve", context_settings={"allow_extra_args": True, "ignore_unknown_options": True,
                                         "help_option_names": []})(bulk_cli.resolve_command)


@app.command()
def openapi() -> None:
    """Print the OpenAPI spec as JSON (sorted keys, indent 2)."""
    typer.echo(openapi_json(create_app()), nl=False)


def main() -> None:
    """Run the ``throughline`` command line."""
    app()
