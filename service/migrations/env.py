"""Alembic environment: run the migrations on the connection ``service.db.migrate`` hands over.

Run through ``throughline migrate``; there is no alembic.ini. SQLite cannot ``ALTER`` most
things, so migrations there run in batch mode (copy and move tables), as Alembic recommends.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection
from sqlmodel import SQLModel

# Import the table modules here once they exist, so that autogenerate sees their metadata.
target_metadata = SQLModel.metadata


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations() -> None:
    """Run the migrations on the connection passed in ``config.attributes``."""
    connection = context.config.attributes.get("connection")
    if connection is None:
        raise RuntimeError("run migrations through `throughline migrate` (service.db.migrate), not the alembic CLI")
    _run(connection)


run_migrations()
