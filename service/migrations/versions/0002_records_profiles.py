"""Records, their candidate keys, profiles, links and the change feed.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 00:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create the tables of the service core."""
    op.create_table(
        "records",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("source", sa.String(64), nullable=False),
        sa.Column("source_record_id", sa.String(256), nullable=False),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("raw", sa.Text, nullable=False),
        sa.Column("normalized", sa.Text, nullable=False),
        sa.Column("match", sa.Text, nullable=False),
        sa.Column("observed_at", sa.DateTime, nullable=True),
        sa.Column("profile_id", sa.String(40), nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
        sa.UniqueConstraint("source", "source_record_id", name="uq_records_source_id"),
    )
    op.create_index("ix_records_profile_id", "records", ["profile_id"])
    op.create_table(
        "record_keys",
        sa.Column("key", sa.Text, primary_key=True),
        sa.Column("record_id", sa.Integer, sa.ForeignKey("records.id", ondelete="CASCADE"), primary_key=True),
    )
    op.create_index("ix_record_keys_record_id", "record_keys", ["record_id"])
    op.create_table(
        "profiles",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("merged_into", sa.String(40), nullable=True),
        sa.Column("golden", sa.Text, nullable=False),
        sa.Column("record_count", sa.Integer, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
    )
    op.create_index("ix_profiles_merged_into", "profiles", ["merged_into"])
    op.create_table(
        "links",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("a_source", sa.String(64), nullable=False),
        sa.Column("a_record_id", sa.String(256), nullable=False),
        sa.Column("b_source", sa.String(64), nullable=False),
        sa.Column("b_record_id", sa.String(256), nullable=False),
        sa.Column("reason", sa.String(500), nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
    )
    op.create_index("ix_links_a", "links", ["a_source", "a_record_id"])
    op.create_index("ix_links_b", "links", ["b_source", "b_record_id"])
    op.create_table(
        "changes",
        sa.Column("seq", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True, autoincrement=True),
        sa.Column("type", sa.String(32), nullable=False),
        sa.Column("profile_id", sa.String(40), nullable=False),
        sa.Column("payload", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
    )
    op.create_index("ix_changes_profile_id", "changes", ["profile_id"])


def downgrade() -> None:
    """Drop the tables of the service core."""
    for table in ("changes", "links", "profiles", "record_keys", "records"):
        op.drop_table(table)
