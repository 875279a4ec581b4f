"""Public and private boards (issue 15): a hidden version's board split, private scores, finalize

dataset_versions.board_public_fraction / board_split_seed / board_split_sha256 (None: not split,
today's one board), competitions.finalized_at, private_scores (an evaluation's numbers on the
private part) and private_board_entries (the finalized private board).

Revision ID: 0017_board_split
Revises: 0016_try_it
Create Date: 2026-12-02 10:30:00
"""
import sqlalchemy as sa
from alembic import op

import arena.core.models.base


revision = '0017_board_split'
down_revision = '0016_try_it'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('dataset_versions') as batch:
        batch.add_column(sa.Column('board_public_fraction', sa.Float(), nullable=True))
        batch.add_column(sa.Column('board_split_seed', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('board_split_sha256', sa.String(length=64), nullable=True))
    with op.batch_alter_table('competitions') as batch:
        batch.add_column(sa.Column('finalized_at', arena.core.models.base.UTCDateTime(), nullable=True))
    op.create_table('private_scores',
    sa.Column('evaluation_id', sa.Integer(), nullable=False),
    sa.Column('metric', sa.String(length=40), nullable=False),
    sa.Column('value', sa.Float(), nullable=False),
    sa.Column('ci_low', sa.Float(), nullable=True),
    sa.Column('ci_high', sa.Float(), nullable=True),
    sa.Column('definition_version', sa.String(length=120), nullable=False),
    sa.Column('calibrated', sa.Boolean(), nullable=False),
    sa.Column('replicates', sa.LargeBinary(), nullable=True),
    sa.ForeignKeyConstraint(['evaluation_id'], ['evaluations.id'], name=op.f('fk_private_scores_evaluation_id_evaluations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('evaluation_id', 'metric', name=op.f('pk_private_scores'))
    )
    op.create_table('private_board_entries',
    sa.Column('competition_id', sa.Integer(), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=False),
    sa.Column('submission_id', sa.Integer(), nullable=False),
    sa.Column('evaluation_id', sa.Integer(), nullable=False),
    sa.Column('metric', sa.String(length=40), nullable=False),
    sa.Column('value', sa.Float(), nullable=False),
    sa.Column('ci_low', sa.Float(), nullable=True),
    sa.Column('ci_high', sa.Float(), nullable=True),
    sa.Column('private_rank', sa.Integer(), nullable=False),
    sa.Column('tied', sa.Boolean(), nullable=False),
    sa.Column('public_rank', sa.Integer(), nullable=True),
    sa.Column('public_value', sa.Float(), nullable=True),
    sa.Column('finals', sa.Integer(), nullable=False),
    sa.Column('chosen', sa.Boolean(), nullable=False),
    sa.Column('computed_at', arena.core.models.base.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['competition_id'], ['competitions.id'], name=op.f('fk_private_board_entries_competition_id_competitions'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['evaluation_id'], ['evaluations.id'], name=op.f('fk_private_board_entries_evaluation_id_evaluations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['owner_id'], ['users.id'], name=op.f('fk_private_board_entries_owner_id_users')),
    sa.ForeignKeyConstraint(['submission_id'], ['submissions.id'], name=op.f('fk_private_board_entries_submission_id_submissions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('competition_id', 'owner_id', name=op.f('pk_private_board_entries'))
    )


def downgrade() -> None:
    op.drop_table('private_board_entries')
    op.drop_table('private_scores')
    with op.batch_alter_table('competitions') as batch:
        batch.drop_column('finalized_at')
    with op.batch_alter_table('dataset_versions') as batch:
        batch.drop_column('board_split_sha256')
        batch.drop_column('board_split_seed')
        batch.drop_column('board_public_fraction')
