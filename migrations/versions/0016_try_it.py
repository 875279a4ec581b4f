"""Try it: visitors stylize their own photo with an opted-in model (issue 17)

tryit_requests (one visitor's photo, style, model, status and result, expiring after a day),
submissions.allow_try_it (the owner's opt-in, off by default) and
competitions.try_it_disabled (the organizers' opt-out).

Revision ID: 0016_try_it
Revises: 0015_reserved
Create Date: 2026-12-02 05:00:00
"""
import sqlalchemy as sa
from alembic import op

import arena.core.models.base


revision = '0016_try_it'
down_revision = '0015_reserved'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('submissions') as batch:
        batch.add_column(sa.Column('allow_try_it', sa.Boolean(), server_default=sa.false(), nullable=False))
    with op.batch_alter_table('competitions') as batch:
        batch.add_column(sa.Column('try_it_disabled', sa.Boolean(), server_default=sa.false(), nullable=False))
    op.create_table('tryit_requests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token', sa.String(length=32), nullable=False),
    sa.Column('visitor_id', sa.Integer(), nullable=False),
    sa.Column('submission_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.Enum('queued', 'running', 'done', 'failed', name='tryit_status', native_enum=False,
                                create_constraint=True, length=20), nullable=False),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('address_hash', sa.String(length=64), nullable=False),
    sa.Column('content_sha256', sa.String(length=64), nullable=False),
    sa.Column('style_sha256', sa.String(length=64), nullable=False),
    sa.Column('result_sha256', sa.String(length=64), nullable=True),
    sa.Column('created_at', arena.core.models.base.UTCDateTime(), nullable=False),
    sa.Column('started_at', arena.core.models.base.UTCDateTime(), nullable=True),
    sa.Column('finished_at', arena.core.models.base.UTCDateTime(), nullable=True),
    sa.Column('expires_at', arena.core.models.base.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['submission_id'], ['submissions.id'], name=op.f('fk_tryit_requests_submission_id_submissions'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['visitor_id'], ['users.id'], name=op.f('fk_tryit_requests_visitor_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tryit_requests')),
    sa.UniqueConstraint('token', name=op.f('uq_tryit_requests_token'))
    )
    op.create_index('ix_tryit_requests_visitor', 'tryit_requests', ['visitor_id', 'created_at'], unique=False)
    op.create_index('ix_tryit_requests_address', 'tryit_requests', ['address_hash', 'created_at'], unique=False)
    op.create_index('ix_tryit_requests_expires', 'tryit_requests', ['expires_at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_tryit_requests_expires', table_name='tryit_requests')
    op.drop_index('ix_tryit_requests_address', table_name='tryit_requests')
    op.drop_index('ix_tryit_requests_visitor', table_name='tryit_requests')
    op.drop_table('tryit_requests')
    with op.batch_alter_table('competitions') as batch:
        batch.drop_column('try_it_disabled')
    with op.batch_alter_table('submissions') as batch:
        batch.drop_column('allow_try_it')
