"""Board revisions (issue 13): ``competitions.board_revision`` and an index for the board's last change

The public board pages are cached while nothing they read has changed. ``board_revision`` is
a counter bumped in the transaction that changes a board (a score landing on the current
target, every re-rank: moderation, a switch, baselines); ``ix_submissions_competition_updated``
makes "the competition's latest submission change" one index lookup. A counter, not a
timestamp: workers on several hosts have clocks that disagree, a counter never repeats.

Revision ID: 0024_board_revision
Revises: 0023_phase_boards
Create Date: 2026-12-02 21:10:00
"""
import sqlalchemy as sa
from alembic import op


revision = '0024_board_revision'
down_revision = '0023_phase_boards'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("competitions") as batch:
        batch.add_column(sa.Column("board_revision", sa.Integer(), nullable=False, server_default="0"))
    op.create_index("ix_submissions_competition_updated", "submissions", ["competition_id", "updated_at"])


def downgrade() -> None:
    op.drop_index("ix_submissions_competition_updated", table_name="submissions")
    with op.batch_alter_table("competitions") as batch:
        batch.drop_column("board_revision")
