"""Issue 19: `competition configure --sandbox-timeout/--sandbox-memory`: per-competition limits within
the platform's caps, audited like every configure option, and used by the runs of that competition."""
from __future__ import annotations

import json

from click.testing import CliRunner

from arena.cli import cli
from arena.core.competition_limits import run_limits_for
from arena.core.models import AuditEntry
from arena.services.competitions import get_competition
from webseed import make_competition


def _run(settings, *args):
    result = CliRunner().invoke(cli, list(args), obj={"settings": settings})
    assert "Traceback" not in result.output
    return result


def test_limits_within_the_caps_are_stored_audited_and_used(settings, db_session):
    make_competition(db_session, "paint")
    db_session.commit()
    out = _run(settings, "competition", "configure", "paint", "--sandbox-timeout", "90", "--sandbox-memory", "1024",
               "--json")
    assert out.exit_code == 0, out.output
    shown = json.loads(out.stdout)
    assert (shown["sandbox_timeout_s"], shown["sandbox_memory_mb"]) == (90, 1024)
    db_session.expire_all()
    comp = get_competition(db_session, "paint")
    assert (comp.sandbox_timeout_s, comp.sandbox_memory_mb) == (90, 1024)
    entry = db_session.query(AuditEntry).filter_by(action="configure").one()
    assert entry.details["sandbox_timeout_s"] == [None, 90] and entry.details["sandbox_memory_mb"] == [None, 1024]
    limits = run_limits_for(settings.sandbox, comp.sandbox_timeout_s, comp.sandbox_memory_mb)
    assert (limits.timeout_s, limits.memory_mb) == (90, 1024)
    # 0 gives the competition the platform's own limit back.
    assert _run(settings, "competition", "configure", "paint", "--sandbox-timeout", "0").exit_code == 0
    db_session.expire_all()
    assert get_competition(db_session, "paint").sandbox_timeout_s is None
    assert get_competition(db_session, "paint").sandbox_memory_mb == 1024


def test_a_value_over_the_platform_cap_is_refused_and_changes_nothing(settings, db_session):
    make_competition(db_session, "paint")
    db_session.commit()
    cap = settings.sandbox.memory_mb
    out = _run(settings, "competition", "configure", "paint", "--sandbox-memory", str(cap + 1),
               "--title", "Renamed")
    assert out.exit_code != 0
    assert f"Sandbox memory limit {cap + 1} MB is outside 64-{cap} MB" in out.output
    assert "STYLEARENA_SANDBOX_MEMORY_MB" in out.output
    out = _run(settings, "competition", "configure", "paint", "--sandbox-timeout",
               str(settings.sandbox.timeout_s + 1))
    assert out.exit_code != 0 and f"outside 1-{settings.sandbox.timeout_s} s" in out.output
    db_session.expire_all()
    comp = get_competition(db_session, "paint")
    assert comp.sandbox_memory_mb is None and comp.sandbox_timeout_s is None and comp.title != "Renamed"
    assert db_session.query(AuditEntry).filter_by(action="configure").count() == 0


def test_help_names_the_options_and_their_caps(settings):
    out = _run(settings, "competition", "configure", "--help")
    assert out.exit_code == 0
    text = " ".join(out.output.split())
    assert "--sandbox-timeout SECONDS" in text and "--sandbox-memory MB" in text
    assert "STYLEARENA_SANDBOX_TIMEOUT_S" in text and "0 = the platform's limit" in text
