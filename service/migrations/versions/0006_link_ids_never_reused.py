"""Link ids are never given out again on SQLite.

A SQLite ``INTEGER PRIMARY KEY`` without ``AUTOINCREMENT`` gives a new row the largest id plus one,
so a link created after the newest one was deleted took its id: a retried ``DELETE /v1/links/{id}``
then removed another steward's link, and the audit log named two links by one id. The table is
made again with ``AUTOINCREMENT`` (SQLite cannot add it in place); its rows keep their ids.
PostgreSQL's sequences never give an id out twice: nothing changes there.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07 00:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Make the links table again with AUTOINCREMENT, on SQLite."""
    if op.get_bind().dialect.name != "sqlite":
        return
    with op.batch_alter_table("links", recreate="always", table_kwargs={"sqlite_autoincrement": True}):
        pass


def downgrade() -> None:
    """Make the links table again without AUTOINCREMENT, on SQLite."""
    if op.get_bind().dialect.name != "sqlite":
        return
    with op.batch_alter_table("links", recreate="always", table_kwargs={"sqlite_autoincrement": False}):
        pass
