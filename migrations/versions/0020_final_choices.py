"""Final submissions (issue 15): competitions.final_submissions_k and submissions.marked_final_at

A participant marks up to K submissions as final for the private board; without a choice their
best K by public-board score are taken (arena.services.final_choices). Existing competitions
get K = 2 (the server default); no submission starts marked.

Revision ID: 0020_final_choices
Revises: 0019_rules_acceptance
Create Date: 2026-12-02 10:30:00
"""
import sqlalchemy as sa
from alembic import op

import arena.core.models.base


revision = '0020_final_choices'
down_revision = '0019_rules_acceptance'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('competitions') as batch:
        batch.add_column(sa.Column('final_submissions_k', sa.Integer(), server_default='2', nullable=False))
        batch.create_check_constraint('final_submissions_k_positive', 'final_submissions_k >= 1')
    with op.batch_alter_table('submissions') as batch:
        batch.add_column(sa.Column('marked_final_at', arena.core.models.base.UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('submissions') as batch:
        batch.drop_column('marked_final_at')
    with op.batch_alter_table('competitions') as batch:
        batch.drop_constraint(op.f('ck_competitions_final_submissions_k_positive'), type_='check')
        batch.drop_column('final_submissions_k')
