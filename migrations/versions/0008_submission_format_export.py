"""submissions.format: allow 'export' (torch.export .pt2 programs)

Revision ID: 0008_submission_format_export
Revises: 0007_replicates_board_ranks
Create Date: 2026-12-02 01:50:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0008_submission_format_export'
# Written before 0007 existed; the lead chains it after 0007 (set this to 0007's revision id).
down_revision = '0007_replicates_board_ranks'
branch_labels = None
depends_on = None

_OLD = ('torchscript', 'package')
_NEW = ('torchscript', 'package', 'export')


def _retype(values: tuple[str, ...], previous: tuple[str, ...]) -> None:
    # The column is a VARCHAR with a named CHECK (non-native enum); batch mode recreates the
    # table on SQLite and alters it in place on PostgreSQL.
    with op.batch_alter_table('submissions', schema=None) as batch_op:
        batch_op.alter_column(
            'format',
            existing_type=sa.Enum(*previous, name='submission_format', native_enum=False, create_constraint=True, length=20),
            type_=sa.Enum(*values, name='submission_format', native_enum=False, create_constraint=True, length=20),
            existing_nullable=False,
        )


def upgrade() -> None:
    _retype(_NEW, _OLD)


def downgrade() -> None:
    exported = op.get_bind().execute(sa.text("SELECT count(*) FROM submissions WHERE format = 'export'")).scalar()
    if exported:
        # Relabelling them would run a .pt2 as TorchScript; delete or keep them, but decide first.
        raise RuntimeError(f"{exported} submissions are torch.export programs; the older schema cannot hold them.")
    _retype(_OLD, _NEW)
