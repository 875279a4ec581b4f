"""evaluations.step: the step a running attempt is in (live status)

Revision ID: 0006_evaluation_step
Revises: 0005_failed_on_smoke
Create Date: 2026-12-01 23:30:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0006_evaluation_step'
down_revision = '0005_failed_on_smoke'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('evaluations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('step', sa.String(length=20), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('evaluations', schema=None) as batch_op:
        batch_op.drop_column('step')
