"""Migrations: upgrade → downgrade → upgrade on SQLite and PostgreSQL; models agree with them."""
from __future__ import annotations

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from arena.core import migrate
from arena.core.db import make_engine
from arena.core.models import Base

EXPECTED_TABLES = {
    "users", "api_tokens", "competitions", "dataset_versions", "submissions", "evaluations", "scores",
    "score_replicates", "board_ranks",
}


def table_names(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        return set(sa.inspect(engine).get_table_names()) - {"alembic_version"}
    finally:
        engine.dispose()


def test_upgrade_downgrade_upgrade(db_url):
    assert EXPECTED_TABLES <= table_names(db_url)
    head = migrate.current(db_url)
    assert head is not None

    migrate.downgrade(db_url, "base")
    assert table_names(db_url) == set()
    assert migrate.current(db_url) is None

    migrate.upgrade(db_url)
    assert EXPECTED_TABLES <= table_names(db_url)
    assert migrate.current(db_url) == head


def test_models_and_migrations_agree(db_url):
    engine = make_engine(db_url)
    try:
        with engine.connect() as conn:
            ctx = MigrationContext.configure(conn, opts={"compare_type": True})
            diff = compare_metadata(ctx, Base.metadata)
    finally:
        engine.dispose()
    assert diff == [], f"models differ from migrations; add a revision: {diff}"


def test_db_cli_reports_current_revision(sqlite_url):
    from click.testing import CliRunner

    from arena.cli import cli
    from arena.core.settings import Settings

    runner = CliRunner()
    obj = {"settings": Settings(database_url=sqlite_url)}
    result = runner.invoke(cli, ["db", "current"], obj=obj)
    assert result.exit_code == 0, result.output
    assert migrate.current(sqlite_url) in result.output

    result = runner.invoke(cli, ["db", "downgrade", "base"], obj=obj)
    assert result.exit_code == 0, result.output
    assert table_names(sqlite_url) == set()
    result = runner.invoke(cli, ["db", "upgrade"], obj=obj)
    assert result.exit_code == 0, result.output
    assert EXPECTED_TABLES <= table_names(sqlite_url)


def test_db_upgrade_creates_the_sqlite_folder_of_a_fresh_checkout(tmp_path):
    # A fresh clone has no instance/ folder; SQLite itself creates only the file.
    from click.testing import CliRunner

    from arena.cli import cli
    from arena.core.settings import Settings

    url = f"sqlite:///{tmp_path}/instance/nested/stylearena.sqlite3"
    result = CliRunner().invoke(cli, ["db", "upgrade"], obj={"settings": Settings(database_url=url)})
    assert result.exit_code == 0, result.output
    assert (tmp_path / "instance" / "nested" / "stylearena.sqlite3").is_file()
    assert EXPECTED_TABLES <= table_names(url)
