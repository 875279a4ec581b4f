"""A board per phase (issue 15): board_ranks.scope (0 = the whole board, else a phase's id)

The stored ranks with ties gain a scope in their primary key, so a competition of several
phases keeps one ranked board per phase beside the whole one. Existing rows are the whole
board's (scope 0); going down keeps those and drops the phase boards' rows.

Revision ID: 0023_phase_boards
Revises: 0022_runtime_images
Create Date: 2026-12-02 10:40:00
"""
import sqlalchemy as sa
from alembic import op


revision = '0023_phase_boards'
down_revision = '0022_runtime_images'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('board_ranks', recreate='always') as batch:
        batch.add_column(sa.Column('scope', sa.Integer(), server_default='0', nullable=False))
        batch.drop_constraint('pk_board_ranks', type_='primary')
        batch.create_primary_key('pk_board_ranks', ['competition_id', 'metric', 'scope', 'evaluation_id'])


def downgrade() -> None:
    op.execute("DELETE FROM board_ranks WHERE scope <> 0")
    with op.batch_alter_table('board_ranks', recreate='always') as batch:
        batch.drop_constraint('pk_board_ranks', type_='primary')
        batch.drop_column('scope')
        batch.create_primary_key('pk_board_ranks', ['competition_id', 'metric', 'evaluation_id'])
