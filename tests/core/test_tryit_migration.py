"""Migration 0016 (try it): down to 0015 and up again on SQLite and PostgreSQL."""
from __future__ import annotations

import sqlalchemy as sa

from arena.core import migrate
from arena.core.db import make_engine


def _schema(url: str) -> tuple[set[str], set[str], set[str]]:
    engine = make_engine(url)
    try:
        inspector = sa.inspect(engine)
        return (set(inspector.get_table_names()), {c["name"] for c in inspector.get_columns("submissions")},
                {c["name"] for c in inspector.get_columns("competitions")})
    finally:
        engine.dispose()


def test_tryit_schema_goes_down_and_comes_back(db_url):
    tables, submission_cols, competition_cols = _schema(db_url)
    assert "tryit_requests" in tables and "allow_try_it" in submission_cols and "try_it_disabled" in competition_cols
    migrate.downgrade(db_url, "0015_reserved")
    tables, submission_cols, competition_cols = _schema(db_url)
    assert "tryit_requests" not in tables
    assert "allow_try_it" not in submission_cols and "try_it_disabled" not in competition_cols
    assert "submissions" in tables
    migrate.upgrade(db_url)
    tables, submission_cols, competition_cols = _schema(db_url)
    assert "tryit_requests" in tables and "allow_try_it" in submission_cols and "try_it_disabled" in competition_cols
