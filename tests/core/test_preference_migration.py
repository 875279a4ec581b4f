"""Migration 0014 (preference arena): down to 0013 and up again on SQLite and PostgreSQL."""
from __future__ import annotations

import sqlalchemy as sa

from arena.core import migrate
from arena.core.db import make_engine

TABLES = {"preference_matches", "preference_votes", "preference_ratings", "preference_summaries"}


def _tables(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        return set(sa.inspect(engine).get_table_names())
    finally:
        engine.dispose()


def _unique_constraints(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        return {u["name"] for u in sa.inspect(engine).get_unique_constraints("preference_votes")}
    finally:
        engine.dispose()


def test_preference_tables_go_down_and_come_back(db_url):
    assert TABLES <= _tables(db_url)
    assert "uq_preference_votes_match_user" in _unique_constraints(db_url)
    migrate.downgrade(db_url, "0013_efficiency")
    assert not (TABLES & _tables(db_url))
    assert "submissions" in _tables(db_url)
    migrate.upgrade(db_url)
    assert TABLES <= _tables(db_url)
    assert "uq_preference_votes_match_user" in _unique_constraints(db_url)
