"""Email notifications (issue 19): participants opt in; every email sent is recorded once

users.notify_on_result (default off: nobody is mailed who did not ask), and notifications (one
row per outcome and recipient, unique by key, so a retried job or a re-run write sends nothing
twice). No data migration: nobody has opted in yet.

Revision ID: 0021_notifications
Revises: 0020_final_choices
Create Date: 2026-12-02 10:20:00
"""
import sqlalchemy as sa
from alembic import op

import arena.core.models.base


revision = '0021_notifications'
down_revision = '0020_final_choices'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('users') as batch:
        batch.add_column(sa.Column('notify_on_result', sa.Boolean(), server_default=sa.false(), nullable=False))
    op.create_table('notifications',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.Enum('submission_result', 'rescore_finished', name='notification_kind', native_enum=False,
                              create_constraint=True, length=20), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('competition_id', sa.Integer(), nullable=True),
    sa.Column('evaluation_id', sa.Integer(), nullable=True),
    sa.Column('recipient', sa.String(length=254), nullable=False),
    sa.Column('subject', sa.String(length=200), nullable=False),
    sa.Column('created_at', arena.core.models.base.UTCDateTime(), nullable=False),
    sa.Column('sent_at', arena.core.models.base.UTCDateTime(), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['competition_id'], ['competitions.id'],
                            name=op.f('fk_notifications_competition_id_competitions'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['evaluation_id'], ['evaluations.id'],
                            name=op.f('fk_notifications_evaluation_id_evaluations'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_notifications_user_id_users'),
                            ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notifications')),
    sa.UniqueConstraint('key', name=op.f('uq_notifications_key'))
    )
    op.create_index(op.f('ix_notifications_user_id'), 'notifications', ['user_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_notifications_user_id'), table_name='notifications')
    op.drop_table('notifications')
    with op.batch_alter_table('users') as batch:
        batch.drop_column('notify_on_result')
