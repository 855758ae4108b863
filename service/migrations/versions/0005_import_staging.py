"""Staged import records, and the phase an import job is in.

An import stages every line it accepts (its stored forms and candidate keys) before the whole job
is applied in one change (``service.bulk``).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-05 00:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create the staging table and add the job phase."""
    op.create_table(
        "import_records",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("import_id", sa.Text, sa.ForeignKey("imports.id", ondelete="CASCADE"), nullable=False),
        sa.Column("line", sa.BigInteger, nullable=False),
        sa.Column("source", sa.String(64), nullable=False),
        sa.Column("source_record_id", sa.String(256), nullable=False),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("raw", sa.Text, nullable=False),
        sa.Column("normalized", sa.Text, nullable=False),
        sa.Column("match", sa.Text, nullable=False),
        sa.Column("keys", sa.Text, nullable=False),
        sa.Column("observed_at", sa.DateTime, nullable=True),
        sa.UniqueConstraint("import_id", "source", "source_record_id", name="uq_import_records_key"),
    )
    with op.batch_alter_table("imports") as batch:
        batch.add_column(sa.Column("phase", sa.String(16), nullable=False, server_default="staging"))


def downgrade() -> None:
    """Drop the staging table and the job phase."""
    with op.batch_alter_table("imports") as batch:
        batch.drop_column("phase")
    op.drop_table("import_records")
