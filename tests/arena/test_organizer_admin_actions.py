"""Issue 19: the organizer page's buttons through the real app: reinstate, the board switch (the
CLI's guard: refused while evaluations are missing, allowed with force) and the live progress JSON.

Disqualifying through the page is covered in test_organizer_admin.py; here every action is also
checked for its guards (organizers only, CSRF, a confirmation step) and its audit entry's actor.
"""
from __future__ import annotations

import re

import pytest

from arena.core.enums import EvaluationStatus, SubmissionStatus, UserRole
from arena.core.models import AuditEntry, Competition, Evaluation, Submission
from arena.services import audit
from arena.services.moderation import disqualify_submission
from webfixtures import app, login_as  # noqa: F401
from webseed import add_scored, csrf_token, full_scores, make_user


def _publish_hidden(settings, session, root, seed):
    from datasets_helpers import make_dataset as make_files
    from arena.services.publishing import publish

    return publish(session, settings, make_files(root, name=f"hidden-{seed}", split=None, seed=seed),
                   split="hidden", reference_stats=None).version


@pytest.fixture
def board(settings, db_session, tmp_path):
    """A live board of two scored submissions and a staged hidden version only one is scored on."""
    s = db_session
    old = _publish_hidden(settings, s, tmp_path / "h1", seed=21)
    new = _publish_hidden(settings, s, tmp_path / "h2", seed=22)
    comp = Competition(slug="live", title="Live board", hidden_dataset=old, scorer_version="s1",
                       staged_hidden_dataset=new)
    s.add(comp)
    s.flush()
    make_user(s, "org", role=UserRole.ORGANIZER)
    ann, bob = make_user(s, "ann"), make_user(s, "bob")
    subs = [add_scored(s, comp, ann, full_scores(5.0), minutes=1, label="ann-best"),
            add_scored(s, comp, bob, full_scores(9.0), minutes=2, label="bob-try")]
    s.add(Evaluation(submission=subs[0], dataset_version_id=new.id, scorer_version="s1",
                     status=EvaluationStatus.SCORED))
    s.add(Evaluation(submission=subs[1], dataset_version_id=new.id, scorer_version="s1",
                     status=EvaluationStatus.QUEUED))
    s.commit()
    return comp, new, subs


def _client(app, username):  # noqa: F811
    c = app.test_client()
    login_as(c, username)
    return c


def _token(client) -> str:
    return csrf_token(client.get("/admin/competitions/live").get_data(as_text=True))


def _switch(client, new, **extra):
    return client.post("/admin/competitions/live/switch",
                       data={"dataset_version_id": new.id, "scorer_version": "s1", **extra})


def test_page_offers_a_switch_for_the_staged_version(app, board):  # noqa: F811
    _, new, _ = board
    html = _client(app, "org").get("/admin/competitions/live").get_data(as_text=True)
    row = html[html.index(f'data-target="{new.id}-s1"'):]
    row = row[:row.index("</tr>")]
    assert "staged" in row and "Switch board" in row and re.search(r'data-col="queued"[^>]*>1<', row)
    assert "admin_progress.js" in html and "Reload</a>" in html  # live refresh, and the link without JS


def test_switch_is_for_organizers_with_csrf(app, board, db_session):  # noqa: F811
    comp, new, _ = board
    ann = _client(app, "ann")
    assert _switch(ann, new, csrf_token=csrf_token(ann.get("/me/submissions").get_data(as_text=True)),
                   confirm="yes", force="yes").status_code == 403
    assert _switch(app.test_client(), new, confirm="yes", force="yes").status_code in (302, 400)
    org = _client(app, "org")
    assert _switch(org, new, confirm="yes", force="yes").status_code == 400  # no CSRF token
    db_session.expire_all()
    assert db_session.get(Competition, comp.id).hidden_dataset_id != new.id


def test_switch_confirmation_names_the_missing_count_and_refuses_unforced(app, board, db_session):  # noqa: F811
    comp, new, _ = board
    org = _client(app, "org")
    token = _token(org)
    confirm = _switch(org, new, csrf_token=token)
    body = confirm.get_data(as_text=True)
    assert confirm.status_code == 200 and 'data-confirm="switch"' in body and 'data-refused="yes"' in body
    assert 'data-unfinished="1"' in body and "1 queued" in body
    # check_switch's own words, as the CLI prints them:
    assert "Not switched: 1 of 2 eligible submission(s) have no finished evaluation" in body
    assert 'name="force" value="yes"' in body and "Force the switch, hiding 1 submission(s)" in body
    # Confirmed without force (someone posted the form by hand, or the state changed): refused.
    refused = _switch(org, new, csrf_token=token, confirm="yes")
    assert refused.status_code == 303
    flashed = org.get("/admin/competitions/live").get_data(as_text=True)
    assert "Not switched: 1 of 2" in flashed and "switch_unfinished" in flashed
    db_session.expire_all()
    assert db_session.get(Competition, comp.id).hidden_dataset_id != new.id
    assert db_session.query(AuditEntry).filter_by(action="switch").count() == 0


def test_forced_switch_happens_and_is_audited_with_the_organizer(app, board, db_session):  # noqa: F811
    comp, new, _ = board
    org = _client(app, "org")
    done = _switch(org, new, csrf_token=_token(org), confirm="yes", force="yes")
    assert done.status_code == 303
    db_session.expire_all()
    after = db_session.get(Competition, comp.id)
    assert after.hidden_dataset_id == new.id and after.staged_hidden_dataset_id is None
    entry = db_session.query(AuditEntry).filter_by(action="switch").one()
    assert entry.actor == "web:org" and entry.details["forced"] is True
    assert entry.details["to"]["hidden_dataset_id"] == new.id
    assert "forced switch: 1 of 2" in org.get("/admin/competitions/live").get_data(as_text=True)


def test_finished_switch_needs_no_force(app, board, db_session):  # noqa: F811
    comp, new, subs = board
    db_session.query(Evaluation).filter_by(dataset_version_id=new.id, status=EvaluationStatus.QUEUED).one().status = \
        EvaluationStatus.FAILED  # finished, though not scored
    db_session.commit()
    org = _client(app, "org")
    token = _token(org)
    body = _switch(org, new, csrf_token=token).get_data(as_text=True)
    assert 'data-refused="no"' in body and "Yes, switch the board" in body and 'name="force"' not in body
    assert _switch(org, new, csrf_token=token, confirm="yes").status_code == 303
    db_session.expire_all()
    assert db_session.get(Competition, comp.id).hidden_dataset_id == new.id
    assert db_session.query(AuditEntry).filter_by(action="switch").one().details["forced"] is False


def test_reinstate_needs_csrf_and_confirmation_and_is_audited(app, board, db_session):  # noqa: F811
    comp, _, subs = board
    disqualify_submission(db_session, comp, subs[1].id, "late licence", actor="cli:olga")
    db_session.commit()
    org = _client(app, "org")
    url = f"/admin/competitions/live/submissions/{subs[1].id}/reinstate"
    assert _client(app, "ann").post(url, data={"confirm": "yes"}).status_code in (400, 403)
    assert org.post(url, data={"confirm": "yes"}).status_code == 400  # no CSRF token
    token = _token(org)
    confirm = org.post(url, data={"csrf_token": token}).get_data(as_text=True)
    assert 'data-confirm="reinstate"' in confirm and "bob" in confirm and "bob-try" in confirm
    assert "late licence" in confirm  # what it was disqualified for
    db_session.expire_all()
    assert db_session.get(Submission, subs[1].id).status is SubmissionStatus.DISQUALIFIED  # not yet
    done = org.post(url, data={"csrf_token": token, "confirm": "yes"}, follow_redirects=True)
    assert "Reinstated submission" in done.get_data(as_text=True)
    db_session.expire_all()
    assert db_session.get(Submission, subs[1].id).status is SubmissionStatus.SCORED
    entry = db_session.query(AuditEntry).filter_by(action="reinstate").one()
    assert entry.actor == "web:org" and entry.details["previous_reason"] == "late licence"


def test_disqualify_without_a_reason_is_refused_before_the_confirmation(app, board, db_session):  # noqa: F811
    _, _, subs = board
    org = _client(app, "org")
    page = org.post(f"/admin/competitions/live/submissions/{subs[0].id}/disqualify",
                    data={"csrf_token": _token(org), "reason": "  "}, follow_redirects=True)
    assert "Give a reason" in page.get_data(as_text=True)
    db_session.expire_all()
    assert db_session.get(Submission, subs[0].id).status is SubmissionStatus.SCORED
    assert audit.entries(db_session, subs[0].competition) == []


def test_progress_json_is_for_organizers(app, board):  # noqa: F811
    _, new, _ = board
    assert app.test_client().get("/admin/competitions/live/progress.json").status_code == 302  # to login
    assert _client(app, "ann").get("/admin/competitions/live/progress.json").status_code == 403
    response = _client(app, "org").get("/admin/competitions/live/progress.json")
    data = response.get_json()
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    assert data["active"] is True  # bob's run on the staged version is queued
    staged = next(t for t in data["targets"] if t["dataset_version_id"] == new.id)
    assert staged["staged"] is True and staged["queued"] == 1 and staged["scored"] == 1 and staged["missing"] == 0
    current = next(t for t in data["targets"] if t["current"])
    assert current["scored"] == 2 and current["unfinished"] == 0


def test_page_states_the_competitions_sandbox_limits(app, board, db_session, settings):  # noqa: F811
    comp, _, _ = board
    org = _client(app, "org")
    assert f"runs get {settings.sandbox.timeout_s} s and {settings.sandbox.memory_mb} MB (the platform's)" in \
        org.get("/admin/competitions/live").get_data(as_text=True)
    db_session.get(Competition, comp.id).sandbox_timeout_s = 90
    db_session.commit()
    html = org.get("/admin/competitions/live").get_data(as_text=True)
    assert f"runs get 90 s and {settings.sandbox.memory_mb} MB</span>" in html
