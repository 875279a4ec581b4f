"""Issue 15, phases: which phase is open when, the organizer's edits (service and CLI), the quota."""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from arena.cli import cli
from arena.core.enums import DatasetSplit
from arena.core.errors import NotFound
from arena.core.models import AuditEntry, Phase, utcnow
from arena.services import phases
from arena.services.competitions import CompetitionChanges, configure_competition, create_competition, get_competition
from arena.services.phases import PhaseChanges, PhaseError, PhaseState
from arena.services.submissions import QuotaExceeded, check_quota
from arena.services.upload_rules import upload_refusal
from webseed import make_competition, make_dataset, make_submission, make_user

UTC = timezone.utc
T0 = datetime(2027, 1, 1, tzinfo=UTC)


def _two_phases(session, competition):
    """development: Jan 1-14 (quota 2), test: Jan 20 - Feb 10 (the competition's quota); a gap between."""
    phases.add_phase(session, competition, "test", PhaseChanges(starts_at=T0 + timedelta(days=19),
                                                                ends_at="2027-02-10"), actor="test")
    phases.add_phase(session, competition, "development", PhaseChanges(
        starts_at="2027-01-01", ends_at="2027-01-14", daily_quota=2), actor="test")
    session.flush()


def test_a_competition_without_phases_is_one_open_ended_phase(db_session):
    comp = make_competition(db_session, "plain", daily_quota=4)
    now = utcnow()
    assert phases.current_phase(comp, now) is None and phases.phase_refusal(comp, now) is None
    assert phases.daily_quota(comp, now) == 4
    (only,) = phases.windows(comp)
    assert (only.name, only.starts_at, only.ends_at, only.phase_id) == ("main", None, None, None)
    line = phases.timeline(comp, now)
    assert line.open_name == "main" and line.next_boundary is None and line.ends_text is None


def test_phases_open_and_close_by_date_and_order_follows_the_dates(db_session):
    comp = make_competition(db_session, "staged", daily_quota=5, timezone="Europe/Paris")
    _two_phases(db_session, comp)
    # Added second but dated first: it comes first.
    assert [(p.name, p.position) for p in comp.phases] == [("development", 0), ("test", 1)]
    assert comp.phases[0].starts_at == datetime(2026, 12, 31, 23, tzinfo=UTC)  # read in Paris time
    assert comp.phases[0].ends_at == datetime(2027, 1, 14, 22, 59, 59, 999999, tzinfo=UTC)  # the END of the 14th

    inside_dev, gap, inside_test, after = (T0 + timedelta(days=3), T0 + timedelta(days=16),
                                           T0 + timedelta(days=25), T0 + timedelta(days=45))
    assert phases.current_phase(comp, inside_dev).name == "development"
    assert phases.daily_quota(comp, inside_dev) == 2
    assert phases.current_phase(comp, inside_test).name == "test" and phases.daily_quota(comp, inside_test) == 5
    assert phases.current_phase(comp, gap) is None and phases.current_phase(comp, after) is None

    code, message = upload_refusal(comp, None, gap)
    assert code == "no_open_phase" and "\u201ctest\u201d, opens on 2027-01-20 01:00 Europe/Paris" in message
    code, message = upload_refusal(comp, None, after)
    assert code == "no_open_phase" and "last phase" in message and "closed on 2027-02-10 23:59 Europe/Paris" in message
    assert upload_refusal(comp, None, inside_test) is None
    assert upload_refusal(comp, None, gap, is_baseline=True) is None  # baselines ignore dates, as before

    line = phases.timeline(comp, gap)
    assert [e.state for e in line.entries] == [PhaseState.PAST, PhaseState.UPCOMING]
    assert line.open_name is None and line.next_boundary == T0 + timedelta(days=19)
    assert line.next_label == "\u201ctest\u201d opens"
    assert phases.timeline(comp, inside_dev).open_name == "development"


@pytest.mark.parametrize("changes, error", [
    (PhaseChanges(starts_at="2027-01-10", ends_at="2027-01-16"), "would start (2027-01-10 00:00 UTC) before phase "
                                                                  "\u201cdevelopment\u201d ends"),
    (PhaseChanges(starts_at="2027-01-15"), "no end"),  # open-ended, then "test" after it
    (PhaseChanges(starts_at="2027-01-16", ends_at="2027-01-15"), "before it starts"),
    (PhaseChanges(starts_at="next week"), "Cannot read the date 'next week'"),
    (PhaseChanges(starts_at="2027-01-15", ends_at="2027-01-16", daily_quota="many"), "not a number"),
])
def test_bad_phases_are_refused_with_what_to_change(db_session, changes, error):
    comp = make_competition(db_session, "strict")
    _two_phases(db_session, comp)
    with pytest.raises(PhaseError, match=error.replace("(", r"\(").replace(")", r"\)")):
        phases.add_phase(db_session, comp, "extra", changes)
    assert [p.name for p in comp.phases] == ["development", "test"]
    with pytest.raises(PhaseError, match="already has a phase"):
        phases.add_phase(db_session, comp, "TEST", PhaseChanges(starts_at="2027-03-01"))


def test_a_refused_edit_changes_nothing_and_phases_stay_inside_the_competition(db_session):
    comp = make_competition(db_session, "edits", starts_at=T0, ends_at=T0 + timedelta(days=60))
    _two_phases(db_session, comp)
    before = (comp.phases[1].starts_at, comp.phases[1].ends_at)
    with pytest.raises(PhaseError, match="before phase \u201cdevelopment\u201d ends"):
        phases.edit_phase(db_session, comp, "test", PhaseChanges(starts_at="2027-01-05"))
    assert (comp.phases[1].starts_at, comp.phases[1].ends_at) == before
    with pytest.raises(PhaseError, match="end after the competition does.*--ends"):
        phases.edit_phase(db_session, comp, "test", PhaseChanges(ends_at="2027-06-01"))
    # "none" gives back the competition's own end.
    phases.edit_phase(db_session, comp, "test", PhaseChanges(ends_at="none", name="final"))
    assert phases.windows(comp)[1].ends_at == comp.ends_at and comp.phases[1].name == "final"
    with pytest.raises(NotFound, match="its phases: development, final"):
        phases.get_phase(comp, "test")


def test_a_phase_with_submissions_is_not_removed(db_session):
    comp = make_competition(db_session, "kept")
    _two_phases(db_session, comp)
    ann = make_user(db_session, "ann")
    make_submission(db_session, comp, ann, phase_id=comp.phases[0].id)
    db_session.flush()
    with pytest.raises(PhaseError, match="1 submission\\(s\\) belong to phase \u201cdevelopment\u201d"):
        phases.remove_phase(db_session, comp, "development")
    phases.remove_phase(db_session, comp, "test")
    assert [(p.name, p.position) for p in comp.phases] == [("development", 0)]
    actions = [e.details["op"] for e in db_session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "phase"))]
    assert actions == ["add", "add", "remove"]


def test_new_competitions_get_a_default_phase_that_follows_their_dates(db_session):
    comp = create_competition(db_session, "fresh", "Fresh", ends_at="2027-01-31")
    db_session.commit()
    (main,) = comp.phases
    assert (main.name, main.starts_at, main.ends_at) == ("main", None, None)
    assert phases.windows(comp)[0].ends_at == comp.ends_at
    configure_competition(db_session, comp, CompetitionChanges(ends_at="2027-03-31"))
    assert phases.current_phase(comp, datetime(2027, 3, 15, tzinfo=UTC)) is main


def test_the_open_phase_quota_overrides_the_competitions(db_session):
    comp = make_competition(db_session, "quota", daily_quota=5)
    ann = make_user(db_session, "ann")
    now = utcnow()
    phases.add_phase(db_session, comp, "sprint", PhaseChanges(starts_at=now - timedelta(days=1),
                                                              ends_at=now + timedelta(days=1), daily_quota=1))
    make_submission(db_session, comp, ann, created_at=now - timedelta(minutes=1))
    db_session.flush()
    with pytest.raises(QuotaExceeded, match="You have used all 1 uploads.*one of your 1 daily uploads"):
        check_quota(db_session, ann, comp, now)
    phases.edit_phase(db_session, comp, "sprint", PhaseChanges(daily_quota="none"))
    check_quota(db_session, ann, comp, now)  # back to the competition's 5


def test_cli_adds_edits_lists_and_removes_phases_in_the_competition_zone(settings, db_session):
    runner = CliRunner()

    def run(*args):
        return runner.invoke(cli, list(args), obj={"settings": settings})

    made = run("competition", "create", "cup", "--title", "Cup", "--timezone", "Europe/Paris",
               "--starts", "2027-01-01", "--ends", "2027-03-31")
    assert made.exit_code == 0, made.output
    listed = run("competition", "phase", "list", "cup")
    assert listed.exit_code == 0 and "1. main" in listed.output and "2027-03-31 23:59 Europe/Paris" in listed.output
    out = run("competition", "phase", "edit", "cup", "main", "--name", "development", "--ends", "2027-02-14")
    assert out.exit_code == 0, out.output
    out = run("competition", "phase", "add", "cup", "test", "--starts", "2027-02-15", "--daily-quota", "2", "--json")
    assert out.exit_code == 0, out.output
    shown = json.loads(out.stdout[out.stdout.index("["):])
    assert [(p["name"], p["daily_quota"]) for p in shown] == [("development", None), ("test", 2)]
    assert shown[1]["starts_at"] == "2027-02-14T23:00:00+00:00"  # midnight in Paris
    assert shown[1]["ends_at"].startswith("2027-03-31T21:59:59")  # the competition's end (summer time)
    overlap = run("competition", "phase", "add", "cup", "late", "--starts", "2027-03-01")
    assert overlap.exit_code == 1 and "ends with the competition" in overlap.output and "--ends" in overlap.output
    assert run("competition", "phase", "remove", "cup", "nope").exit_code == 1
    removed = run("competition", "phase", "remove", "cup", "test")
    assert removed.exit_code == 0 and "removed phase 'test'" in removed.output
    db_session.expire_all()
    comp = get_competition(db_session, "cup")
    assert [p.name for p in comp.phases] == ["development"]
    assert db_session.scalar(sa.select(sa.func.count(Phase.id))) == 1


def test_a_phase_dataset_is_shown_but_a_hidden_versions_name_is_not(db_session):
    comp = make_competition(db_session, "sets", hidden_dataset=make_dataset(db_session, DatasetSplit.HIDDEN, "secret-v7"))
    phases.add_phase(db_session, comp, "dev", PhaseChanges(ends_at="2027-01-10", dataset_version=comp.public_dataset))
    phases.add_phase(db_session, comp, "test", PhaseChanges(starts_at="2027-01-11", dataset_version=comp.hidden_dataset))
    labels = [w.dataset_label for w in phases.windows(comp)]
    assert labels == [f"public set {comp.public_dataset.name}", "hidden benchmark"]
    assert comp.hidden_dataset.name not in str(phases.timeline(comp, T0))
    comp.public_dataset.retired_at = utcnow()
    with pytest.raises(PhaseError, match="is retired"):
        phases.edit_phase(db_session, comp, "dev", PhaseChanges(dataset_version=comp.public_dataset, name="x"))
    assert comp.phases[0].name == "dev"
    phases.edit_phase(db_session, comp, "test", PhaseChanges(dataset_version="none"))
    assert phases.windows(comp)[1].dataset_label is None


def test_phase_dates_are_clipped_to_the_competitions_when_it_shrinks(db_session):
    comp = make_competition(db_session, "shrinks", starts_at=T0, ends_at=T0 + timedelta(days=60))
    phases.add_phase(db_session, comp, "all", PhaseChanges(starts_at="2027-01-05", ends_at="2027-02-20"))
    configure_competition(db_session, comp, CompetitionChanges(ends_at="2027-01-31"))
    (window,) = phases.windows(comp)
    assert window.starts_at == T0 + timedelta(days=4) and window.ends_at == comp.ends_at
    assert phases.current_phase(comp, datetime(2027, 2, 10, tzinfo=UTC)) is None
