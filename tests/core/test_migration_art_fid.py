"""Migration 0009: the old ``art_fid`` rows keep their numbers under ``art_fid_distinct``."""
from __future__ import annotations

import sqlalchemy as sa

from arena.core import migrate
from arena.core.db import make_engine

OLD_VERSION = "artfid-(1+lpips)(1+fid)-1[fid-pt2015-pool3-bilinear299-f64-refs-1;lpips-alex-v0.1-native-max512-1]"
BEFORE = "0008_submission_format_export"
NOW = "2026-01-01 00:00:00"

# Rows as a database at 0008 holds them, written in SQL: today's models have columns that
# later migrations add, so they cannot write to an older schema.
SEED = [
    ("INSERT INTO users (id, username, password_hash, role, is_active, created_at) "
     "VALUES (1, 'old-timer', 'x', 'participant', :yes, :now)"),
    ("INSERT INTO dataset_versions (id, manifest_sha256, name, split, n_content, n_style, n_pairs, storage_path, "
     "licence, created_at) VALUES (1, :sha, 'hidden', 'hidden', 2, 2, 4, :sha, 'CC0', :now)"),
    ("INSERT INTO competitions (id, slug, title, description, rules, status, ranking_metric, daily_quota, "
     "hidden_dataset_id, scorer_version, created_at) VALUES "
     "(1, 'old-board', 'Old', '', '', 'open', 'art_fid', 5, 1, '1', :now), "
     "(2, 'fresh-board', 'Fresh', '', '', 'open', 'art_fid', 5, 1, '1', :now)"),
    ("INSERT INTO submissions (id, owner_id, competition_id, label, notes, original_filename, sha256, size_bytes, "
     "format, status, counts_against_quota, is_baseline, created_at, updated_at) VALUES "
     "(1, 1, 1, '', '', 'm.pt', :sha, 10, 'torchscript', 'scored', :yes, :no, :now, :now)"),
    ("INSERT INTO evaluations (id, submission_id, dataset_version_id, scorer_version, kind, status, attempt, "
     "platform_faults, provenance, timings, created_at) VALUES "
     "(1, 1, 1, '1', 'initial', 'scored', 1, 0, '{}', '{}', :now)"),
    ("INSERT INTO scores (evaluation_id, metric, value, definition_version, calibrated) VALUES "
     "(1, 'fid', 40.0, '1', :no), (1, 'art_fid', 77.1, :old, :no)"),
]


def test_old_art_fid_rows_are_renamed_and_their_board_follows(db_url):
    migrate.downgrade(db_url, BEFORE)
    engine = make_engine(db_url)
    try:
        with engine.begin() as conn:
            for statement in SEED:
                conn.execute(sa.text(statement), {"now": NOW, "sha": "a" * 64, "old": OLD_VERSION,
                                                  "yes": True, "no": False})
        migrate.upgrade(db_url)

        def scores():
            with engine.connect() as conn:
                return dict(conn.execute(sa.text("SELECT metric, value FROM scores")).all())

        with engine.connect() as conn:
            boards = dict(conn.execute(sa.text("SELECT slug, ranking_metric FROM competitions")).all())
        assert scores() == {"art_fid_distinct": 77.1, "fid": 40.0}
        # Through today's head (issue 15's phases, board split, rules, finals): the submission
        # stays, lands in its competition's default phase, and nothing is marked final or private.
        with engine.connect() as conn:
            rows = conn.execute(sa.text(
                "SELECT s.id, s.status, s.marked_final_at, p.name FROM submissions s "
                "JOIN phases p ON p.id = s.phase_id")).all()
            private = conn.execute(sa.text("SELECT count(*) FROM private_scores")).scalar()
        assert [tuple(r) for r in rows] == [(1, "scored", None, "main")] and private == 0
        # The board that ranked the old numbers ranks them under their new name; a board with
        # none ranks by the published ArtFID.
        assert boards == {"old-board": "art_fid_distinct", "fresh-board": "art_fid"}
        migrate.downgrade(db_url, BEFORE)
        assert scores() == {"art_fid": 77.1, "fid": 40.0}
        with engine.connect() as conn:
            assert conn.execute(sa.text("SELECT id, status FROM submissions")).all() == [(1, "scored")]
    finally:
        engine.dispose()
