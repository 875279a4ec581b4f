"""Migration 0018 (phases) on a database made by the schema before it: every competition gets its
default phase, every submission lands in it, and going down loses no submission or score."""
from __future__ import annotations

from datetime import datetime, timezone

import sqlalchemy as sa

from arena.core import migrate
from arena.core.db import make_engine, make_session_factory
from arena.services.competitions import get_competition
from arena.services.phases import current_phase, phase_refusal

BEFORE = "0017_board_split"
NOW = "2026-01-01 00:00:00"

# Rows as a database at 0017 holds them, written in SQL: today's models have columns this
# schema lacks, so they cannot write to it.
SEED = [
    ("INSERT INTO users (id, username, password_hash, role, is_active, created_at) "
     "VALUES (1, 'old-timer', 'x', 'participant', :yes, :now)"),
    ("INSERT INTO dataset_versions (id, manifest_sha256, name, split, n_content, n_style, n_pairs, storage_path, "
     "licence, created_at) VALUES (1, :sha, 'hidden', 'hidden', 2, 2, 4, :sha, 'CC0', :now)"),
    ("INSERT INTO competitions (id, slug, title, description, rules, status, ranking_metric, daily_quota, "
     "starts_at, ends_at, hidden_dataset_id, scorer_version, created_at) VALUES "
     "(1, 'dated', 'Dated', '', '', 'open', 'art_fid', 5, '2026-01-01 00:00:00', '2026-06-30 00:00:00', 1, '1', :now), "
     "(2, 'open-ended', 'Open', '', '', 'open', 'art_fid', 5, NULL, NULL, 1, '1', :now), "
     "(3, 'empty', 'Empty', '', '', 'draft', 'art_fid', 5, NULL, NULL, NULL, '1', :now)"),
    ("INSERT INTO submissions (id, owner_id, competition_id, label, notes, original_filename, sha256, size_bytes, "
     "format, status, counts_against_quota, is_baseline, created_at, updated_at) VALUES "
     "(1, 1, 1, 'a', '', 'm.pt', :sha, 10, 'torchscript', 'scored', :yes, :no, :now, :now), "
     "(2, 1, 1, 'b', '', 'm.pt', :sha, 10, 'torchscript', 'queued', :yes, :no, :now, :now), "
     "(3, 1, 2, 'c', '', 'm.pt', :sha, 10, 'torchscript', 'scored', :yes, :no, :now, :now)"),
    ("INSERT INTO evaluations (id, submission_id, dataset_version_id, scorer_version, kind, status, attempt, "
     "platform_faults, provenance, timings, created_at) VALUES "
     "(1, 1, 1, '1', 'initial', 'scored', 1, 0, '{}', '{}', :now), "
     "(2, 3, 1, '1', 'initial', 'scored', 1, 0, '{}', '{}', :now)"),
    ("INSERT INTO scores (evaluation_id, metric, value, definition_version, calibrated) VALUES "
     "(1, 'fid', 40.0, '1', :no), (1, 'art_fid', 77.1, '1', :no), (2, 'art_fid', 12.5, '1', :no)"),
]


def _rows(engine, sql):
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(sa.text(sql)).all()]


def test_every_competition_gets_its_default_phase_and_keeps_every_submission(db_url):
    migrate.downgrade(db_url, BEFORE)
    engine = make_engine(db_url)
    try:
        with engine.begin() as conn:
            for statement in SEED:
                conn.execute(sa.text(statement), {"now": NOW, "sha": "a" * 64, "yes": True, "no": False})
        submissions = _rows(engine, "SELECT id, competition_id, label, status FROM submissions ORDER BY id")
        scores = _rows(engine, "SELECT evaluation_id, metric, value FROM scores ORDER BY evaluation_id, metric")

        migrate.upgrade(db_url, "0018_phases")
        phases = _rows(engine, "SELECT competition_id, name, position, starts_at, ends_at, daily_quota, "
                               "dataset_version_id, id FROM phases ORDER BY competition_id")
        # One "main" phase each, with no dates or quota of its own: it follows the competition's.
        assert [p[:7] for p in phases] == [(c, "main", 0, None, None, None, None) for c in (1, 2, 3)]
        phase_of = {p[0]: p[7] for p in phases}
        linked = _rows(engine, "SELECT id, competition_id, phase_id FROM submissions ORDER BY id")
        assert linked == [(s_id, comp, phase_of[comp]) for s_id, comp, _, _ in submissions]
        assert _rows(engine, "SELECT id, competition_id, label, status FROM submissions ORDER BY id") == submissions
        assert _rows(engine, "SELECT evaluation_id, metric, value FROM scores "
                             "ORDER BY evaluation_id, metric") == scores

        migrate.downgrade(db_url, BEFORE)
        assert "phases" not in sa.inspect(engine).get_table_names()
        assert "phase_id" not in {c["name"] for c in sa.inspect(engine).get_columns("submissions")}
        assert _rows(engine, "SELECT id, competition_id, label, status FROM submissions ORDER BY id") == submissions
        assert _rows(engine, "SELECT evaluation_id, metric, value FROM scores "
                             "ORDER BY evaluation_id, metric") == scores
        migrate.upgrade(db_url)  # and up again to head
        assert len(_rows(engine, "SELECT id FROM phases")) == 3

        # At head the models read the migrated rows: the default phase is open inside the competition's dates.
        with make_session_factory(engine)() as session:
            dated = get_competition(session, "dated")
            assert current_phase(dated, datetime(2026, 3, 1, tzinfo=timezone.utc)).name == "main"
            assert phase_refusal(dated, datetime(2026, 3, 1, tzinfo=timezone.utc)) is None
            assert current_phase(dated, datetime(2026, 7, 1, tzinfo=timezone.utc)) is None  # after its end
    finally:
        engine.dispose()
