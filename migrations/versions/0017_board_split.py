"""Reserved revision for issue 15 (no schema change yet)

Placeholder in the revision chain so parallel work lands in a fixed order; it changes nothing
until its part of issue 15 lands here.

Revision ID: 0017_board_split
Revises: 0016_try_it
Create Date: 2026-12-02 10:30:00
"""
import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401


revision = '0017_board_split'
down_revision = '0016_try_it'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
