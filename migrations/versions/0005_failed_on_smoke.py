"""submissions.failed_on_smoke: uploads that failed the public smoke run (free, separately capped)

Revision ID: 0005_failed_on_smoke
Revises: 0004_dataset_references
Create Date: 2026-12-01 23:25:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0005_failed_on_smoke'
down_revision = '0004_dataset_references'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('submissions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('failed_on_smoke', sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('submissions', schema=None) as batch_op:
        batch_op.drop_column('failed_on_smoke')
