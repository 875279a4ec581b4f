"""Dataset lifecycle: retired versions, perceptual hashes for the leak check (issue 19)

- ``dataset_versions.retired_at``: a retired version cannot be attached or staged again.
- ``competitions.staged_public_dataset_id`` / ``staged_hidden_dataset_id``: the version
  published for a competition that its board does not show yet (rescore, then switch).
- ``competitions.sandbox_timeout_s`` / ``sandbox_memory_mb``: per-competition sandbox limits
  within the platform's caps (NULL: the platform's).
- ``dataset_image_hashes``: per-image sha256 and perceptual fingerprint of published versions.
  Rows are filled by publishing, and for versions published before this revision by the
  first leak check that needs them (the migration has no access to the dataset store).

Revision ID: 0012_dataset_lifecycle
Revises: 0011_organizer_safety
Create Date: 2026-12-02 05:00:00
"""
import sqlalchemy as sa
from alembic import op


revision = '0012_dataset_lifecycle'
down_revision = '0011_organizer_safety'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('dataset_versions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('retired_at', sa.DateTime(), nullable=True))
    with op.batch_alter_table('competitions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('staged_public_dataset_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('staged_hidden_dataset_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('sandbox_timeout_s', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('sandbox_memory_mb', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_competitions_staged_public_dataset_id_dataset_versions'),
                                    'dataset_versions', ['staged_public_dataset_id'], ['id'])
        batch_op.create_foreign_key(batch_op.f('fk_competitions_staged_hidden_dataset_id_dataset_versions'),
                                    'dataset_versions', ['staged_hidden_dataset_id'], ['id'])
    op.create_table(
        'dataset_image_hashes',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('dataset_version_id', sa.Integer(), nullable=False),
        sa.Column('path', sa.String(length=260), nullable=False),
        sa.Column('sha256', sa.String(length=64), nullable=False),
        sa.Column('phash', sa.BigInteger(), nullable=False),
        sa.Column('mean_level', sa.SmallInteger(), nullable=False),
        sa.ForeignKeyConstraint(['dataset_version_id'], ['dataset_versions.id'],
                                name=op.f('fk_dataset_image_hashes_dataset_version_id_dataset_versions'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_dataset_image_hashes')),
        sa.UniqueConstraint('dataset_version_id', 'path', name='uq_dataset_image_hashes_path'),
    )
    op.create_index(op.f('ix_dataset_image_hashes_sha256'), 'dataset_image_hashes', ['sha256'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_dataset_image_hashes_sha256'), table_name='dataset_image_hashes')
    op.drop_table('dataset_image_hashes')
    with op.batch_alter_table('competitions', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_competitions_staged_hidden_dataset_id_dataset_versions'),
                                 type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_competitions_staged_public_dataset_id_dataset_versions'),
                                 type_='foreignkey')
        batch_op.drop_column('sandbox_memory_mb')
        batch_op.drop_column('sandbox_timeout_s')
        batch_op.drop_column('staged_hidden_dataset_id')
        batch_op.drop_column('staged_public_dataset_id')
    with op.batch_alter_table('dataset_versions', schema=None) as batch_op:
        batch_op.drop_column('retired_at')
