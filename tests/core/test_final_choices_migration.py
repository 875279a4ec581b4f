"""Migration 0020 (final submissions) on SQLite and PostgreSQL: existing rows keep their data and get
K = 2 and no mark; K >= 1 is enforced; down to 0019 and up again."""
from __future__ import annotations

from datetime import datetime

import pytest
import sqlalchemy as sa

from arena.core import migrate
from arena.core.db import make_engine

NOW = datetime(2026, 1, 1)


def _columns(url: str, table: str) -> set[str]:
    engine = make_engine(url)
    try:
        return {c["name"] for c in sa.inspect(engine).get_columns(table)}
    finally:
        engine.dispose()


def _insert(conn, table: sa.Table, values: dict) -> None:
    """Insert ``values``, filling any other NOT NULL column without a server default (other revisions' columns)."""
    filler = {sa.Boolean: False, sa.Integer: 0, sa.Float: 0.0, sa.DateTime: NOW, sa.String: "x", sa.Text: ""}
    row = dict(values)
    for column in table.columns:
        if column.name in row or column.nullable or column.server_default is not None or column.primary_key:
            continue
        row[column.name] = next(v for t, v in filler.items() if isinstance(column.type, t))
    conn.execute(table.insert().values(**row))


def _seed_before(url: str) -> None:
    """A user, a competition and a submission written by the schema of 0019 (reflected, no models)."""
    engine = make_engine(url)
    try:
        meta = sa.MetaData()
        meta.reflect(engine, only=["users", "competitions", "submissions"])
        with engine.begin() as conn:
            _insert(conn, meta.tables["users"], {"id": 1, "username": "ann", "role": "participant"})
            _insert(conn, meta.tables["competitions"], {"id": 1, "slug": "old", "status": "open"})
            _insert(conn, meta.tables["submissions"], {
                "id": 1, "owner_id": 1, "competition_id": 1, "label": "v1", "sha256": "a" * 64,
                "size_bytes": 10, "format": "torchscript", "status": "scored"})
    finally:
        engine.dispose()


def test_final_choice_columns_arrive_with_defaults_and_go(db_url):
    migrate.downgrade(db_url, "0019_rules_acceptance")
    assert "final_submissions_k" not in _columns(db_url, "competitions")
    assert "marked_final_at" not in _columns(db_url, "submissions")
    _seed_before(db_url)
    migrate.upgrade(db_url, "0020_final_choices")
    engine = make_engine(db_url)
    try:
        with engine.connect() as conn:
            assert conn.execute(sa.text("SELECT final_submissions_k FROM competitions WHERE id = 1")).scalar() == 2
            row = conn.execute(sa.text("SELECT label, marked_final_at FROM submissions WHERE id = 1")).one()
            assert tuple(row) == ("v1", None)
        with pytest.raises(sa.exc.IntegrityError):
            with engine.begin() as conn:
                conn.execute(sa.text("UPDATE competitions SET final_submissions_k = 0 WHERE id = 1"))
    finally:
        engine.dispose()
    migrate.downgrade(db_url, "0019_rules_acceptance")
    assert "final_submissions_k" not in _columns(db_url, "competitions")
    assert "marked_final_at" not in _columns(db_url, "submissions")
    migrate.upgrade(db_url)
    assert "marked_final_at" in _columns(db_url, "submissions")
