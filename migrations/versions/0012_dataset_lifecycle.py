"""Dataset lifecycle: retired versions, perceptual hashes for the leak check (issue 19)

Placeholder in the revision chain so parallel work lands in a fixed order; it changes nothing
until its issue's schema lands here.

Revision ID: 0012_dataset_lifecycle
Revises: 0011_organizer_safety
Create Date: 2026-12-02 05:00:00
"""
import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401


revision = '0012_dataset_lifecycle'
down_revision = '0011_organizer_safety'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
