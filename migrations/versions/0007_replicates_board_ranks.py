"""score_replicates and board_ranks: bootstrap replicates per score, stored ranks with ties

Revision ID: 0007_replicates_board_ranks
Revises: 0006_evaluation_step
Create Date: 2026-12-02 01:40:00
"""
from alembic import op
import sqlalchemy as sa
import arena.core.models.base


revision = '0007_replicates_board_ranks'
down_revision = '0006_evaluation_step'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('score_replicates',
    sa.Column('evaluation_id', sa.Integer(), nullable=False),
    sa.Column('metric', sa.String(length=40), nullable=False),
    sa.Column('resamples', sa.Integer(), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.ForeignKeyConstraint(['evaluation_id'], ['evaluations.id'],
                            name=op.f('fk_score_replicates_evaluation_id_evaluations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('evaluation_id', 'metric', name=op.f('pk_score_replicates'))
    )
    op.create_table('board_ranks',
    sa.Column('competition_id', sa.Integer(), nullable=False),
    sa.Column('metric', sa.String(length=40), nullable=False),
    sa.Column('evaluation_id', sa.Integer(), nullable=False),
    sa.Column('rank', sa.Integer(), nullable=False),
    sa.Column('beaten_by', sa.Integer(), nullable=False),
    sa.Column('tied', sa.Boolean(), nullable=False),
    sa.Column('separated', sa.Boolean(), nullable=False),
    sa.Column('statistical', sa.Boolean(), nullable=False),
    sa.Column('protocol', sa.String(length=200), nullable=False),
    sa.Column('computed_at', arena.core.models.base.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['competition_id'], ['competitions.id'],
                            name=op.f('fk_board_ranks_competition_id_competitions'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['evaluation_id'], ['evaluations.id'],
                            name=op.f('fk_board_ranks_evaluation_id_evaluations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('competition_id', 'metric', 'evaluation_id', name=op.f('pk_board_ranks'))
    )


def downgrade() -> None:
    op.drop_table('board_ranks')
    op.drop_table('score_replicates')
