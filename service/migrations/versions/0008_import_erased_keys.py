"""An import job keeps the keys of records erased while it runs, so that it does not store them again.

Erasing a record deletes its rows from every import that has not ended and adds its key to
``imports.erased_keys``: the job then skips the record's lines it has not staged yet
(ARCHITECTURE.md, property 7: a file sent before the erasure must not bring the record back). The
list is cleared when the job ends; it names no more than the job's spooled body already holds.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-08 00:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add ``imports.erased_keys`` (a JSON list of ``[source, source_record_id]``; null when none)."""
    op.add_column("imports", sa.Column("erased_keys", sa.Text(), nullable=True))


def downgrade() -> None:
    """Drop ``imports.erased_keys``."""
    with op.batch_alter_table("imports") as batch:
        batch.drop_column("erased_keys")
