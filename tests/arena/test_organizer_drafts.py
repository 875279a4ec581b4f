"""Issue 19: `competition create` makes a draft; organizers rehearse it; rehearsals never show publicly."""
from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from arena.cli import cli
from arena.core.enums import CompetitionStatus, SubmissionStatus, UserRole
from arena.services.competitions import REHEARSAL_REASON, CompetitionChanges, configure_competition
from arena.services.submissions import SubmissionError, create_submission
from webfixtures import app, client, torchscript_file, world  # noqa: F401
from webseed import add_scored, full_scores, make_competition, make_user


def test_create_without_status_makes_a_draft(settings):
    out = CliRunner().invoke(cli, ["competition", "create", "quiet", "--title", "Quiet", "--json"],
                             obj={"settings": settings})
    assert out.exit_code == 0, out.output
    assert json.loads(out.stdout)["status"] == "draft"


def test_organizers_rehearse_a_draft_and_participants_cannot(settings, world, torchscript_file):
    session = world["session"]
    org = make_user(session, "org", role=UserRole.ORGANIZER)
    draft = make_competition(session, "rehearse", status=CompetitionStatus.DRAFT, daily_quota=0)
    session.commit()
    sub = create_submission(session, settings, org, draft, upload_path=torchscript_file, label="dry run")
    # Rehearsals use no quota (this draft's is 0) and are flagged for good.
    assert sub.is_rehearsal and sub.status is SubmissionStatus.QUEUED and not sub.is_baseline
    with pytest.raises(SubmissionError, match="draft") as refused:
        create_submission(session, settings, world["ann"], draft, upload_path=torchscript_file)
    assert refused.value.code == "competition_closed"


def test_rehearsals_never_appear_publicly_after_the_draft_opens(client, world):
    session = world["session"]
    org = make_user(session, "org", role=UserRole.ORGANIZER)
    draft = make_competition(session, "soon", status=CompetitionStatus.DRAFT)
    rehearsal = add_scored(session, draft, org, full_scores(1.0), minutes=1, label="organizer-dry-run",
                           is_rehearsal=True)
    real = add_scored(session, draft, world["ann"], full_scores(9.0), minutes=2, label="ann-real")
    session.commit()
    assert client.get("/competitions/soon").status_code == 404  # a draft is the organizers' alone
    configure_competition(session, draft, CompetitionChanges(status=CompetitionStatus.OPEN))
    session.commit()
    assert (rehearsal.status, rehearsal.disqualified_reason) == (SubmissionStatus.DISQUALIFIED, REHEARSAL_REASON)
    assert real.status is SubmissionStatus.SCORED
    for path in ("/competitions/soon", "/competitions/soon/leaderboard", "/competitions/soon/leaderboard.json",
                 "/competitions/soon/leaderboard.csv", "/api/v1/competitions/soon/leaderboard", "/"):
        body = client.get(path).get_data(as_text=True)
        assert "organizer-dry-run" not in body, path
    assert "ann-real" in client.get("/competitions/soon/leaderboard").get_data(as_text=True)
    assert client.get(f"/submissions/{rehearsal.id}").status_code == 404
    assert client.get(f"/submissions/{real.id}").status_code == 200
