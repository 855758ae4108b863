"""The ``throughline`` command: serve the API, migrate the database, print the OpenAPI spec."""

from __future__ import annotations

import copy
from typing import Annotated, Any

import typer
import uvicorn
from uvicorn.config import LOGGING_CONFIG

from service import db
from service.main import create_app, openapi_json
from service.settings import get_settings

__all__ = ["app", "main"]

app = typer.Typer(help="Throughline: customer identity resolution.", no_args_is_help=True, add_completion=False)


def _log_config(level: str) -> dict[str, Any]:
    """Return uvicorn's logging configuration with the service's own loggers added at ``level``."""
    config = copy.deepcopy(LOGGING_CONFIG)
    config["loggers"]["service"] = {"handlers": ["default"], "level": level, "propagate": False}
    return config


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(envvar="PORT", help="Port to listen on.")] = 8000,
    workers: Annotated[int, typer.Option(min=1, help="Worker processes.")] = 1,
) -> None:
    """Serve the HTTP API (the database must be migrated first)."""
    level = get_settings().log_level
    uvicorn.run("service.main:create_app", factory=True, host=host, port=port, workers=workers,
                log_level=level.lower(), log_config=_log_config(level))


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


@app.command()
def openapi() -> None:
    """Print the OpenAPI spec as JSON (sorted keys, indent 2)."""
    typer.echo(openapi_json(create_app()), nl=False)


def main() -> None:
    """Run the ``throughline`` command line."""
    app()
