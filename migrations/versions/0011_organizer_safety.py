"""Organizer safety: dates, time zone, drafts, audit log, baselines (issue 19)

Adds the competition's time zone, the rehearsal flag of submissions made to a draft, and the
organizer audit log.

Revision ID: 0011_organizer_safety
Revises: 0010_optional_metrics
Create Date: 2026-12-02 05:00:00
"""
import sqlalchemy as sa
from alembic import op


revision = '0011_organizer_safety'
down_revision = '0010_optional_metrics'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("competitions") as batch:
        batch.add_column(sa.Column("timezone", sa.String(64), nullable=False, server_default="UTC"))
    with op.batch_alter_table("submissions") as batch:
        batch.add_column(sa.Column("is_rehearsal", sa.Boolean(), nullable=False, server_default=sa.false()))
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("actor", sa.String(120), nullable=False),
        sa.Column("action", sa.String(40), nullable=False),
        sa.Column("competition_id", sa.Integer(), nullable=True),
        sa.Column("competition_slug", sa.String(60), nullable=True),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["competition_id"], ["competitions.id"], ondelete="SET NULL",
                                name=op.f("fk_audit_log_competition_id_competitions")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
    )
    op.create_index("ix_audit_log_competition", "audit_log", ["competition_id", "at"])


def downgrade() -> None:
    op.drop_index("ix_audit_log_competition", table_name="audit_log")
    op.drop_table("audit_log")
    with op.batch_alter_table("submissions") as batch:
        batch.drop_column("is_rehearsal")
    with op.batch_alter_table("competitions") as batch:
        batch.drop_column("timezone")
