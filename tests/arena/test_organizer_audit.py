"""Issue 19: every organizer action lands in the audit log; migration 0011 goes up and down."""
from __future__ import annotations

import json

import sqlalchemy as sa
from click.testing import CliRunner

from arena.cli import cli
from arena.core import migrate
from arena.core.db import make_engine
from arena.core.models import AuditEntry
from arena.services import audit
from arena.services.competitions import get_competition


def _run(settings, *args):
    result = CliRunner().invoke(cli, list(args), obj={"settings": settings})
    assert result.exit_code == 0, result.output
    return result


def test_create_and_configure_are_audited_with_who_when_and_what(settings, db_session):
    _run(settings, "competition", "create", "aud", "--title", "Audited", "--daily-quota", "2")
    _run(settings, "competition", "configure", "aud", "--daily-quota", "4", "--status", "open")
    _run(settings, "competition", "configure", "aud", "--daily-quota", "4")  # no change: no entry
    rows = json.loads(_run(settings, "audit", "aud", "--json").stdout)
    assert [r["action"] for r in rows] == ["configure", "create"]
    configure = rows[0]
    assert configure["details"]["daily_quota"] == [2, 4] and configure["details"]["status"] == ["draft", "open"]
    assert configure["actor"].startswith("cli:") and configure["competition"] == "aud" and configure["at"]
    assert rows[1]["details"]["status"] == "draft"
    text = _run(settings, "audit", "aud").output
    assert "configure" in text and '"daily_quota": [2, 4]' in text
    entry = db_session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "create"))
    assert entry.competition_id == get_competition(db_session, "aud").id


def test_record_refuses_an_unknown_action(db_session):
    import pytest

    with pytest.raises(ValueError, match="unknown audit action"):
        audit.record(db_session, "delete_everything", None)


def _columns(url: str, table: str) -> set[str]:
    engine = make_engine(url)
    try:
        inspector = sa.inspect(engine)
        return {c["name"] for c in inspector.get_columns(table)} if inspector.has_table(table) else set()
    finally:
        engine.dispose()


def test_migration_0011_up_and_down(db_url):
    assert "timezone" in _columns(db_url, "competitions") and "is_rehearsal" in _columns(db_url, "submissions")
    assert {"actor", "action", "details", "competition_id"} <= _columns(db_url, "audit_log")
    migrate.downgrade(db_url, "0010_optional_metrics")
    assert "timezone" not in _columns(db_url, "competitions")
    assert "is_rehearsal" not in _columns(db_url, "submissions") and not _columns(db_url, "audit_log")
    migrate.upgrade(db_url, "0011_organizer_safety")
    engine = make_engine(db_url)
    try:
        with engine.begin() as conn:  # the server defaults fill rows written without the new columns
            conn.execute(sa.text("INSERT INTO competitions (slug, title, description, rules, status, "
                                 "ranking_metric, daily_quota, scorer_version, created_at) VALUES "
                                 "('m', 'M', '', '', 'open', 'art_fid', 1, 's', CURRENT_TIMESTAMP)"))
            assert conn.execute(sa.text("SELECT timezone FROM competitions WHERE slug = 'm'")).scalar() == "UTC"
    finally:
        engine.dispose()
    migrate.upgrade(db_url)
