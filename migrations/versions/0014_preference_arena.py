"""Human preference arena: matches and votes (issue 17)

Placeholder in the revision chain so parallel work lands in a fixed order; it changes nothing
until its issue's schema lands here.

Revision ID: 0014_preference_arena
Revises: 0013_efficiency
Create Date: 2026-12-02 05:00:00
"""
import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401


revision = '0014_preference_arena'
down_revision = '0013_efficiency'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
