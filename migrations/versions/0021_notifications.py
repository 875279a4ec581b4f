"""Reserved revision for issue 19 (no schema change yet)

Placeholder in the revision chain so parallel work lands in a fixed order; it changes nothing
until its part of issue 19 lands here.

Revision ID: 0021_notifications
Revises: 0020_final_choices
Create Date: 2026-12-02 10:20:00
"""
import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401


revision = '0021_notifications'
down_revision = '0020_final_choices'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
