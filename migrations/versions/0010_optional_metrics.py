"""Optional metrics per competition (structure, colour, texture; issue 13)

Placeholder in the revision chain so parallel work lands in a fixed order; it changes nothing
until its issue's schema lands here.

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
    pass


def downgrade() -> None:
    pass
