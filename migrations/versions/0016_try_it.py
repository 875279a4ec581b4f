"""Try it: visitors stylize their own photo with an opted-in model (issue 17)

Placeholder in the revision chain so parallel work lands in a fixed order; it changes nothing
until its issue's schema lands here.

Revision ID: 0016_try_it
Revises: 0015_reserved
Create Date: 2026-12-02 05:00:00
"""
import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401


revision = '0016_try_it'
down_revision = '0015_reserved'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
