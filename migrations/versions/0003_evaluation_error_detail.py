"""evaluations.error_detail: the organizer-only technical text of a failure

A hidden run's exception text, file names and log describe hidden data, so the participant
reads a fixed message per failure category (``error_message``) and organizers read this.

Revision ID: 0003_error_detail
Revises: 0002_score_defversion
Create Date: 2026-12-01 22:50:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0003_error_detail'
down_revision = '0002_score_defversion'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('evaluations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('error_detail', sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('evaluations', schema=None) as batch_op:
        batch_op.drop_column('error_detail')
