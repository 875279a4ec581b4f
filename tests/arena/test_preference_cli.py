"""`stylearena arena void-votes / rate / export-votes` on a real database."""
from __future__ import annotations

import csv
import io

from click.testing import CliRunner

from arena.cli import cli
from arena.core.models import PreferenceSummary
from preference_seed import arena_world
from test_preference_web import simulate_votes


def test_void_votes_rate_and_export(db_session, settings, tmp_path):
    competition, subs = arena_world(db_session, settings, tmp_path)
    users = simulate_votes(db_session, settings, competition, subs, 12)
    runner = CliRunner()
    obj = {"settings": settings}
    rated = runner.invoke(cli, ["arena", "rate", "arena"], obj=obj)
    assert rated.exit_code == 0, rated.output
    assert "12 valid votes" in rated.output
    voided = runner.invoke(cli, ["arena", "void-votes", "arena", users[0].username], obj=obj)
    assert voided.exit_code == 0, voided.output
    assert "voided 1 vote(s)" in voided.output and "11 valid vote(s)" in voided.output
    db_session.expire_all()
    assert db_session.get(PreferenceSummary, competition.id).valid_votes == 11
    missing = runner.invoke(cli, ["arena", "void-votes", "arena", "nobody"], obj=obj)
    assert missing.exit_code != 0 and "no user called 'nobody'" in missing.output
    out = tmp_path / "votes.csv"
    exported = runner.invoke(cli, ["arena", "export-votes", "arena", "-o", str(out)], obj=obj)
    assert exported.exit_code == 0, exported.output
    rows = list(csv.DictReader(io.StringIO(out.read_text())))
    assert len(rows) == 11 and {r["choice"] for r in rows} <= {"a", "b"}
    assert all(len(r["voter"]) == 16 and r["voided"] == "0" for r in rows)
    assert users[0].username not in out.read_text()
