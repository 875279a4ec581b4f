"""Optional metrics per competition (structure, colour, texture; issue 13)

``competitions.optional_metrics``: the optional metrics the organizer chose
(``evaluator.metrics.optional_catalog``), comma-separated names in catalog order. Empty for
every existing competition, so they compute exactly what they computed before.

Revision ID: 0010_optional_metrics
Revises: 0009_art_fid_distinct
Create Date: 2026-12-02 05:00:00
"""
import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401


revision = '0010_optional_metrics'
down_revision = '0009_art_fid_distinct'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("competitions") as batch:
        batch.add_column(sa.Column("optional_metrics", sa.String(200), nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("competitions") as batch:
        batch.drop_column("optional_metrics")
