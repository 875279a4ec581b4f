"""Runtime images (issue 19): ``competitions.runtime_image``, the recipe a competition's generators run in

A recipe name of ``sandbox.recipes`` (``base``: the platform's sandbox image, what every
competition ran in before this revision).

Revision ID: 0022_runtime_images
Revises: 0021_notifications
Create Date: 2026-12-02 10:20:00
"""
import sqlalchemy as sa
from alembic import op


revision = '0022_runtime_images'
down_revision = '0021_notifications'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("competitions") as batch:
        batch.add_column(sa.Column("runtime_image", sa.String(40), nullable=False, server_default="base"))


def downgrade() -> None:
    with op.batch_alter_table("competitions") as batch:
        batch.drop_column("runtime_image")
