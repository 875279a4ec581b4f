"""Migration 0012 (dataset lifecycle): down and up again on SQLite and PostgreSQL; models agree."""
from __future__ import annotations

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from arena.core import migrate
from arena.core.db import make_engine
from arena.core.models import Base

MINE = {"dataset_image_hashes"}
NEW_COLUMNS = {"dataset_versions": {"retired_at"},
               "competitions": {"staged_public_dataset_id", "staged_hidden_dataset_id", "sandbox_timeout_s",
                                "sandbox_memory_mb"}}


def _schema(url: str) -> tuple[set[str], dict[str, set[str]]]:
    engine = make_engine(url)
    try:
        inspector = sa.inspect(engine)
        tables = set(inspector.get_table_names())
        return tables, {t: {c["name"] for c in inspector.get_columns(t)} for t in NEW_COLUMNS}
    finally:
        engine.dispose()


def test_0012_down_and_up(db_url):
    tables, columns = _schema(db_url)
    assert MINE <= tables
    assert all(NEW_COLUMNS[t] <= columns[t] for t in NEW_COLUMNS)
    migrate.downgrade(db_url, "0011_organizer_safety")
    tables, columns = _schema(db_url)
    assert not MINE & tables
    assert all(not NEW_COLUMNS[t] & columns[t] for t in NEW_COLUMNS)
    migrate.upgrade(db_url)
    tables, columns = _schema(db_url)
    assert MINE <= tables and all(NEW_COLUMNS[t] <= columns[t] for t in NEW_COLUMNS)


def test_0012_models_agree(db_url):
    engine = make_engine(db_url)
    try:
        with engine.connect() as conn:
            ctx = MigrationContext.configure(conn, opts={"compare_type": True})
            diff = compare_metadata(ctx, Base.metadata)
    finally:
        engine.dispose()

    def mine(entry) -> bool:
        text = repr(entry)
        return any(name in text for name in ("dataset_image_hashes", "retired_at", "staged_", "sandbox_timeout_s",
                                             "sandbox_memory_mb"))

    flat = [d for group in diff for d in (group if isinstance(group, list) else [group])]
    assert [d for d in flat if mine(d)] == []
