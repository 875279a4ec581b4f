"""Issue 19: moderation names its competition, says what it touches, asks first, and tells the owner why."""
from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from arena.cli import cli
from arena.core.enums import SubmissionStatus
from arena.core.models import Submission
from arena.services.tokens import create_token
from webfixtures import app, client, login_as, world  # noqa: F401
from webseed import add_scored, full_scores, make_competition


@pytest.fixture
def boards(world):
    s = world["session"]
    other = make_competition(s, "other")
    lead = add_scored(s, world["competition"], world["ann"], full_scores(5.0), minutes=1, label="ann-best")
    add_scored(s, world["competition"], world["bob"], full_scores(9.0), minutes=2, label="bob-try")
    elsewhere = add_scored(s, other, world["bob"], full_scores(1.0), minutes=3, label="bob-elsewhere")
    s.commit()
    return lead, elsewhere


def _run(settings, *args, input=None):
    return CliRunner().invoke(cli, list(args), obj={"settings": settings}, input=input)


def test_disqualify_prints_what_it_touches_and_asks(settings, world, boards):
    lead, _ = boards
    declined = _run(settings, "submission", "disqualify", "demo", str(lead.id), "--reason", "copied", input="n\n")
    assert declined.exit_code == 1 and "Nothing changed" in declined.output
    assert "in 'demo': participant ann, label 'ann-best', scored, rank 1" in declined.output
    world["session"].expire_all()
    assert world["session"].get(Submission, lead.id).status is SubmissionStatus.SCORED
    done = _run(settings, "submission", "disqualify", "demo", str(lead.id), "--reason", "copied the style image",
                input="y\n")
    assert done.exit_code == 0, done.output
    assert "participant ann" in done.output and "rank 1" in done.output and "copied the style image" in done.output


def test_an_id_from_another_competition_is_refused(settings, world, boards):
    _, elsewhere = boards
    out = _run(settings, "submission", "disqualify", "demo", str(elsewhere.id), "--reason", "typo", "--yes")
    assert out.exit_code == 1 and "belongs to 'other', not 'demo'" in out.output
    world["session"].expire_all()
    assert world["session"].get(Submission, elsewhere.id).status is SubmissionStatus.SCORED
    assert "belongs to 'other'" in _run(settings, "submission", "reinstate", "demo", str(elsewhere.id),
                                        "--yes").output


def test_the_reason_reaches_the_owner_page_and_the_api(settings, app, world, boards):
    lead, _ = boards
    assert _run(settings, "submission", "disqualify", "demo", str(lead.id), "--reason", "used the hidden set",
                "--yes").exit_code == 0
    owner = app.test_client()
    login_as(owner, "ann")
    page = owner.get(f"/me/submissions/{lead.id}").get_data(as_text=True)
    assert "data-disqualified" in page and "Reason: used the hidden set" in page
    s = world["session"]
    _, raw = create_token(s, world["ann"], "script")
    s.commit()
    doc = owner.get(f"/api/v1/submissions/{lead.id}", headers={"Authorization": f"Bearer {raw}"}).get_json()
    assert doc["status"] == "disqualified" and doc["disqualified_reason"] == "used the hidden set"
    back = _run(settings, "submission", "reinstate", "demo", str(lead.id), "--yes", "--json")
    assert back.exit_code == 0 and json.loads(back.stdout)["rank"] == 1, back.output
    doc = owner.get(f"/api/v1/submissions/{lead.id}", headers={"Authorization": f"Bearer {raw}"}).get_json()
    assert doc["status"] == "scored" and doc["disqualified_reason"] is None
    actions = [e["action"] for e in json.loads(_run(settings, "audit", "demo", "--json").stdout)]
    assert actions[:2] == ["reinstate", "disqualify"]
