"""widen scores.definition_version to hold descriptive metric versions

The metrics engine names each definition precisely (e.g.
``content-vgg19tv-relu4_1+relu5_1-mvn-native-max512-1``), longer than the baseline's 20.

Revision ID: 0002_score_defversion
Revises: 0001_baseline
Create Date: 2026-11-22 03:20:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0002_score_defversion'
down_revision = '0001_baseline'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('scores', schema=None) as batch_op:
        batch_op.alter_column('definition_version', existing_type=sa.String(length=20),
                              type_=sa.String(length=120), existing_nullable=False)


def downgrade() -> None:
    with op.batch_alter_table('scores', schema=None) as batch_op:
        batch_op.alter_column('definition_version', existing_type=sa.String(length=120),
                              type_=sa.String(length=20), existing_nullable=False)
