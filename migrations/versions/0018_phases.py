"""Phases (issue 15): a competition's dated phases; each submission belongs to one

phases (name, place in the timeline, optional dates, quota and dataset version) and
submissions.phase_id. Data: every competition gets one default phase "main" whose dates are
the competition's (stored as NULL, which means "the competition's own date", so the phase
follows later date changes), and every existing submission is put in it.

Revision ID: 0018_phases
Revises: 0017_board_split
Create Date: 2026-12-02 10:30:00
"""
from datetime import datetime, timezone

import sqlalchemy as sa
from alembic import op

import arena.core.models.base


revision = '0018_phases'
down_revision = '0017_board_split'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('phases',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('competition_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=60), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('starts_at', arena.core.models.base.UTCDateTime(), nullable=True),
    sa.Column('ends_at', arena.core.models.base.UTCDateTime(), nullable=True),
    sa.Column('daily_quota', sa.Integer(), nullable=True),
    sa.Column('dataset_version_id', sa.Integer(), nullable=True),
    sa.Column('created_at', arena.core.models.base.UTCDateTime(), nullable=False),
    sa.CheckConstraint('daily_quota IS NULL OR daily_quota >= 0', name=op.f('ck_phases_daily_quota_non_negative')),
    sa.CheckConstraint('starts_at IS NULL OR ends_at IS NULL OR ends_at > starts_at',
                       name=op.f('ck_phases_ends_after_start')),
    sa.ForeignKeyConstraint(['competition_id'], ['competitions.id'], name=op.f('fk_phases_competition_id_competitions'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['dataset_version_id'], ['dataset_versions.id'],
                            name=op.f('fk_phases_dataset_version_id_dataset_versions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_phases')),
    sa.UniqueConstraint('competition_id', 'name', name='uq_phases_competition_name')
    )
    with op.batch_alter_table('submissions') as batch:
        batch.add_column(sa.Column('phase_id', sa.Integer(), nullable=True))
        batch.create_index(batch.f('ix_submissions_phase_id'), ['phase_id'], unique=False)
        batch.create_foreign_key(batch.f('fk_submissions_phase_id_phases'), 'phases', ['phase_id'], ['id'])
    # Naive UTC, as arena.core.models.base.UTCDateTime stores it.
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    op.execute(sa.text("INSERT INTO phases (competition_id, name, position, created_at) "
                       "SELECT id, 'main', 0, :now FROM competitions").bindparams(now=now))
    op.execute("UPDATE submissions SET phase_id = "
               "(SELECT phases.id FROM phases WHERE phases.competition_id = submissions.competition_id)")


def downgrade() -> None:
    # Only the phase link goes: every submission, evaluation and score stays as it was.
    with op.batch_alter_table('submissions') as batch:
        batch.drop_constraint('fk_submissions_phase_id_phases', type_='foreignkey')
        batch.drop_index('ix_submissions_phase_id')
        batch.drop_column('phase_id')
    op.drop_table('phases')
