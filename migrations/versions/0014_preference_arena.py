"""Human preference arena: matches and votes (issue 17)

preference_matches (one public pair and two entries' public outputs, in the A/B order shown),
preference_votes (one per user per match, voidable), and the stored ratings and summaries the
pages read (computed when votes land).

Revision ID: 0014_preference_arena
Revises: 0013_efficiency
Create Date: 2026-12-02 05:00:00
"""
import sqlalchemy as sa
from alembic import op

import arena.core.models.base


revision = '0014_preference_arena'
down_revision = '0013_efficiency'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('preference_summaries',
    sa.Column('competition_id', sa.Integer(), nullable=False),
    sa.Column('valid_votes', sa.Integer(), nullable=False),
    sa.Column('both_bad', sa.Integer(), nullable=False),
    sa.Column('entries', sa.Integer(), nullable=False),
    sa.Column('tau', sa.Float(), nullable=True),
    sa.Column('tau_low', sa.Float(), nullable=True),
    sa.Column('tau_high', sa.Float(), nullable=True),
    sa.Column('tau_entries', sa.Integer(), nullable=False),
    sa.Column('ranking_metric', sa.String(length=40), nullable=False),
    sa.Column('protocol', sa.String(length=200), nullable=False),
    sa.Column('computed_at', arena.core.models.base.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['competition_id'], ['competitions.id'], name=op.f('fk_preference_summaries_competition_id_competitions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('competition_id', name=op.f('pk_preference_summaries'))
    )
    op.create_table('preference_matches',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('competition_id', sa.Integer(), nullable=False),
    sa.Column('dataset_version_id', sa.Integer(), nullable=False),
    sa.Column('pair_id', sa.String(length=120), nullable=False),
    sa.Column('content_file', sa.String(length=200), nullable=False),
    sa.Column('style_file', sa.String(length=200), nullable=False),
    sa.Column('submission_a_id', sa.Integer(), nullable=False),
    sa.Column('submission_b_id', sa.Integer(), nullable=False),
    sa.Column('outputs_a_sha256', sa.String(length=64), nullable=False),
    sa.Column('outputs_b_sha256', sa.String(length=64), nullable=False),
    sa.Column('shown_to_id', sa.Integer(), nullable=False),
    sa.Column('created_at', arena.core.models.base.UTCDateTime(), nullable=False),
    sa.CheckConstraint('submission_a_id <> submission_b_id', name=op.f('ck_preference_matches_two_entries')),
    sa.ForeignKeyConstraint(['competition_id'], ['competitions.id'], name=op.f('fk_preference_matches_competition_id_competitions'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['dataset_version_id'], ['dataset_versions.id'], name=op.f('fk_preference_matches_dataset_version_id_dataset_versions')),
    sa.ForeignKeyConstraint(['shown_to_id'], ['users.id'], name=op.f('fk_preference_matches_shown_to_id_users'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['submission_a_id'], ['submissions.id'], name=op.f('fk_preference_matches_submission_a_id_submissions'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['submission_b_id'], ['submissions.id'], name=op.f('fk_preference_matches_submission_b_id_submissions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_preference_matches'))
    )
    op.create_index('ix_preference_matches_shown', 'preference_matches', ['shown_to_id', 'competition_id', 'created_at'], unique=False)
    op.create_table('preference_ratings',
    sa.Column('competition_id', sa.Integer(), nullable=False),
    sa.Column('submission_id', sa.Integer(), nullable=False),
    sa.Column('strength', sa.Float(), nullable=False),
    sa.Column('ci_low', sa.Float(), nullable=False),
    sa.Column('ci_high', sa.Float(), nullable=False),
    sa.Column('rank', sa.Integer(), nullable=False),
    sa.Column('tied', sa.Boolean(), nullable=False),
    sa.Column('separated', sa.Boolean(), nullable=False),
    sa.Column('votes', sa.Integer(), nullable=False),
    sa.Column('wins', sa.Float(), nullable=False),
    sa.Column('both_bad', sa.Integer(), nullable=False),
    sa.Column('protocol', sa.String(length=200), nullable=False),
    sa.Column('computed_at', arena.core.models.base.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['competition_id'], ['competitions.id'], name=op.f('fk_preference_ratings_competition_id_competitions'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['submission_id'], ['submissions.id'], name=op.f('fk_preference_ratings_submission_id_submissions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('competition_id', 'submission_id', name=op.f('pk_preference_ratings'))
    )
    op.create_table('preference_votes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('match_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('choice', sa.Enum('a', 'b', 'tie', 'both_bad', name='vote_choice', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('address_hash', sa.String(length=64), nullable=False),
    sa.Column('voided', sa.Boolean(), nullable=False),
    sa.Column('voided_at', arena.core.models.base.UTCDateTime(), nullable=True),
    sa.Column('created_at', arena.core.models.base.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['match_id'], ['preference_matches.id'], name=op.f('fk_preference_votes_match_id_preference_matches'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_preference_votes_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_preference_votes')),
    sa.UniqueConstraint('match_id', 'user_id', name='uq_preference_votes_match_user')
    )
    op.create_index('ix_preference_votes_address', 'preference_votes', ['address_hash', 'created_at'], unique=False)
    op.create_index('ix_preference_votes_user', 'preference_votes', ['user_id', 'created_at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_preference_votes_user', table_name='preference_votes')
    op.drop_index('ix_preference_votes_address', table_name='preference_votes')
    op.drop_table('preference_votes')
    op.drop_table('preference_ratings')
    op.drop_index('ix_preference_matches_shown', table_name='preference_matches')
    op.drop_table('preference_matches')
    op.drop_table('preference_summaries')
