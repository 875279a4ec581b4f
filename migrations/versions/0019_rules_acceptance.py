"""Rules acceptance: who accepted which version of a competition's rules, and when (issue 15)

rules_acceptances (user, competition, sha256 of the rules text accepted, accepted_at).
No data migration: competitions keep their rules text; nobody has accepted anything yet, and
uploads to a competition with rules ask for an acceptance from now on.

Revision ID: 0019_rules_acceptance
Revises: 0018_phases
Create Date: 2026-12-02 10:30:00
"""
import sqlalchemy as sa
from alembic import op

import arena.core.models.base


revision = '0019_rules_acceptance'
down_revision = '0018_phases'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('rules_acceptances',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('competition_id', sa.Integer(), nullable=False),
    sa.Column('rules_sha256', sa.String(length=64), nullable=False),
    sa.Column('accepted_at', arena.core.models.base.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['competition_id'], ['competitions.id'],
                            name=op.f('fk_rules_acceptances_competition_id_competitions'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_rules_acceptances_user_id_users'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rules_acceptances')),
    sa.UniqueConstraint('user_id', 'competition_id', 'rules_sha256', name=op.f('uq_rules_acceptances_version'))
    )
    op.create_index('ix_rules_acceptances_competition', 'rules_acceptances', ['competition_id', 'accepted_at'],
                    unique=False)


def downgrade() -> None:
    op.drop_index('ix_rules_acceptances_competition', table_name='rules_acceptances')
    op.drop_table('rules_acceptances')
