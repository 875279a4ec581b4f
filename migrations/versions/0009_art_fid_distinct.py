"""Scores of the old ``art_fid`` become ``art_fid_distinct``: the name ``art_fid`` now means ArtFID as published

The old definition ((1 + LPIPS)(1 + FID) on the platform's ImageNet-Inception FID with each
reference once) is not Wright & Ommer's ArtFID, so its numbers must not keep the published
name. Rows are recognised by their definition version (``artfid-(1+lpips)(1+fid)-…``); a
competition whose board ranked them keeps ranking the same numbers under their new name until
its organizer rescores and switches.

Revision ID: 0009_art_fid_distinct
Revises: 0008_submission_format_export
Create Date: 2026-12-02 02:20:00
"""
import sqlalchemy as sa
from alembic import op


revision = '0009_art_fid_distinct'
down_revision = '0008_submission_format_export'
branch_labels = None
depends_on = None

_OLD_VERSIONS = "artfid-(1+lpips)(1+fid)-%"


def upgrade() -> None:
    # Boards that rank the old rows first, while the rows still carry the old name.
    op.execute(sa.text(
        "UPDATE competitions SET ranking_metric = 'art_fid_distinct' WHERE ranking_metric = 'art_fid' "
        "AND id IN (SELECT s.competition_id FROM submissions s JOIN evaluations e ON e.submission_id = s.id "
        "JOIN scores sc ON sc.evaluation_id = e.id WHERE sc.metric = 'art_fid' AND sc.definition_version LIKE :old)"
    ).bindparams(old=_OLD_VERSIONS))
    op.execute(sa.text(
        "UPDATE scores SET metric = 'art_fid_distinct' WHERE metric = 'art_fid' AND definition_version LIKE :old"
    ).bindparams(old=_OLD_VERSIONS))


def downgrade() -> None:
    # The published ArtFID did not exist before: its rows go, the distinct variant takes the name back.
    op.execute(sa.text("DELETE FROM scores WHERE metric = 'art_fid' AND definition_version NOT LIKE :old")
               .bindparams(old=_OLD_VERSIONS))
    op.execute("DELETE FROM score_replicates WHERE metric IN ('art_fid', 'art_fid_distinct')")
    op.execute("DELETE FROM board_ranks WHERE metric IN ('art_fid', 'art_fid_distinct')")
    op.execute("UPDATE scores SET metric = 'art_fid' WHERE metric = 'art_fid_distinct'")
    op.execute("UPDATE competitions SET ranking_metric = 'art_fid' WHERE ranking_metric = 'art_fid_distinct'")
