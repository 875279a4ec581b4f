"""dataset_versions.n_references: how many held-out style references a version has

Revision ID: 0004_dataset_references
Revises: 0003_error_detail
Create Date: 2026-12-01 23:15:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0004_dataset_references'
down_revision = '0003_error_detail'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('dataset_versions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('n_references', sa.Integer(), server_default='0', nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('dataset_versions', schema=None) as batch_op:
        batch_op.drop_column('n_references')
