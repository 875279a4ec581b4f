"""Migration 0019: the rules_acceptances table comes and goes; one row per user, competition and version."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from arena.core import migrate
from arena.core.db import make_engine

BEFORE, THIS = "0018_phases", "0019_rules_acceptance"
NOW = "2026-12-01 10:00:00"


def _tables(engine) -> set[str]:
    return set(sa.inspect(engine).get_table_names())


def test_rules_acceptances_upgrade_keeps_competitions_and_downgrade_removes_the_table(db_url):
    engine = make_engine(db_url)
    try:
        migrate.downgrade(db_url, BEFORE)
        assert "rules_acceptances" not in _tables(engine)
        with engine.begin() as conn:  # a database as today's schema leaves it, with rules text
            conn.execute(sa.text("INSERT INTO users (id, username, password_hash, role, is_active, created_at) "
                                 "VALUES (1, 'ann', 'x', 'participant', :yes, :now)"), {"yes": True, "now": NOW})
            conn.execute(sa.text("INSERT INTO competitions (id, slug, title, description, rules, status, "
                                 "ranking_metric, daily_quota, scorer_version, created_at) VALUES "
                                 "(1, 'old', 'Old', '', 'Be fair.', 'open', 'art_fid', 5, '1', :now)"), {"now": NOW})
        migrate.upgrade(db_url, THIS)
        assert "rules_acceptances" in _tables(engine)
        insert = sa.text("INSERT INTO rules_acceptances (user_id, competition_id, rules_sha256, accepted_at) "
                         "VALUES (1, 1, :sha, :now)")
        with engine.begin() as conn:
            assert conn.execute(sa.text("SELECT rules FROM competitions")).scalar_one() == "Be fair."
            conn.execute(insert, {"sha": "a" * 64, "now": NOW})
            conn.execute(insert, {"sha": "b" * 64, "now": NOW})  # a later version: a second row
        with pytest.raises(sa.exc.IntegrityError), engine.begin() as conn:
            conn.execute(insert, {"sha": "a" * 64, "now": NOW})
        migrate.downgrade(db_url, BEFORE)
        assert "rules_acceptances" not in _tables(engine)
        with engine.connect() as conn:
            assert conn.execute(sa.text("SELECT count(*) FROM competitions")).scalar_one() == 1
        migrate.upgrade(db_url)
        assert "rules_acceptances" in _tables(engine)
    finally:
        engine.dispose()
