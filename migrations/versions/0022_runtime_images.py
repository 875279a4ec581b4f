"""Reserved revision for issue 19 (no schema change yet)

Placeholder in the revision chain so parallel work lands in a fixed order; it changes nothing
until its part of issue 19 lands here.

Revision ID: 0022_runtime_images
Revises: 0021_notifications
Create Date: 2026-12-02 10:20:00
"""
import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401


revision = '0022_runtime_images'
down_revision = '0021_notifications'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
