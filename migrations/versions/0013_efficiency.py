"""Efficiency measured in the sandbox (issue 16): evaluation_efficiency, one typed row per hidden run

Revision ID: 0013_efficiency
Revises: 0012_dataset_lifecycle
Create Date: 2026-12-02 05:00:00
"""
import sqlalchemy as sa
from alembic import op


revision = '0013_efficiency'
down_revision = '0012_dataset_lifecycle'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('evaluation_efficiency',
    sa.Column('evaluation_id', sa.Integer(), nullable=False),
    sa.Column('latency_median_ms', sa.Float(), nullable=False),
    sa.Column('latency_p95_ms', sa.Float(), nullable=False),
    sa.Column('throughput_ips', sa.Float(), nullable=True),
    sa.Column('batch_size', sa.Integer(), nullable=False),
    sa.Column('timed_pairs', sa.Integer(), nullable=False),
    sa.Column('warmup_pairs', sa.Integer(), nullable=False),
    sa.Column('load_s', sa.Float(), nullable=True),
    sa.Column('peak_rss_mb', sa.Float(), nullable=True),
    sa.Column('peak_device_mb', sa.Float(), nullable=True),
    sa.Column('parameter_count', sa.BigInteger(), nullable=True),
    sa.Column('parameter_bytes', sa.BigInteger(), nullable=True),
    sa.Column('parameter_source', sa.String(length=10), nullable=True),
    sa.Column('size_bytes', sa.BigInteger(), nullable=False),
    sa.Column('run_s', sa.Float(), nullable=False),
    sa.Column('device', sa.String(length=10), nullable=False),
    sa.Column('cpus', sa.Float(), nullable=False),
    sa.Column('memory_mb', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['evaluation_id'], ['evaluations.id'],
                            name=op.f('fk_evaluation_efficiency_evaluation_id_evaluations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('evaluation_id', name=op.f('pk_evaluation_efficiency'))
    )


def downgrade() -> None:
    op.drop_table('evaluation_efficiency')
