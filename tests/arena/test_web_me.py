"""A participant's own pages: list, submission page, status poll JSON, log; never others'."""
from __future__ import annotations

import pytest

from arena.core.enums import SubmissionStatus
from webfixtures import ann_client, app, client, login_as, world  # noqa: F401  (fixtures)
from webseed import add_scored, full_scores, make_submission


@pytest.fixture
def subs(world):
    s, comp = world["session"], world["competition"]
    mine = make_submission(s, comp, world["ann"], label="ann-queued", public_log="step 1\n<script>x</script>")
    failed = make_submission(s, comp, world["ann"], label="ann-failed", status=SubmissionStatus.FAILED,
                             error_code="generator_crashed", error_message="Your generator raised ValueError.")
    scored = add_scored(s, comp, world["ann"], full_scores(12.5), 30, label="ann-scored", calibrated=False)
    theirs = make_submission(s, comp, world["bob"], label="bob-secret", public_log="bob's log")
    s.commit()
    return {"mine": mine, "failed": failed, "scored": scored, "theirs": theirs}


def test_my_submissions_lists_only_mine(ann_client, subs):
    html = ann_client.get("/me/submissions").get_data(as_text=True)
    assert "ann-queued" in html and "ann-failed" in html and "ann-scored" in html
    assert "bob-secret" not in html and "generator_crashed" in html
    # Each row shows its ranking-metric score (the scored one) or a dash (the others).
    assert f'data-score="{subs["scored"].id}">12.5 ' in html
    assert f'data-score="{subs["mine"].id}">—' in html


def test_owner_page_states(ann_client, subs):
    queued = ann_client.get(f"/me/submissions/{subs['mine'].id}").get_data(as_text=True)
    assert 'data-final="false"' in queued and "updates by itself" in queued
    failed = ann_client.get(f"/me/submissions/{subs['failed'].id}").get_data(as_text=True)
    assert "generator_crashed" in failed and "raised ValueError" in failed and 'data-final="true"' in failed
    scored = ann_client.get(f"/me/submissions/{subs['scored'].id}").get_data(as_text=True)
    assert "12.5" in scored and "Scorer version" in scored and "uncalibrated" in scored


def test_status_json_for_the_poller(ann_client, world, subs):
    data = ann_client.get(f"/me/submissions/{subs['mine'].id}/status.json").get_json()
    assert data["status"] == "queued" and data["final"] is False and data["scores"] == {}
    subs["mine"].status = SubmissionStatus.RUNNING
    world["session"].commit()
    response = ann_client.get(f"/me/submissions/{subs['mine'].id}/status.json")
    assert response.get_json()["status"] == "running" and response.headers["Cache-Control"] == "no-store"
    scored = ann_client.get(f"/me/submissions/{subs['scored'].id}/status.json").get_json()
    assert scored["final"] is True and scored["scores"]["art_fid"] == 12.5 and scored["calibrated"] is False


def test_log_is_plain_text(ann_client, subs):
    response = ann_client.get(f"/me/submissions/{subs['mine'].id}/log")
    assert response.mimetype == "text/plain" and response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.get_data(as_text=True) == "step 1\n<script>x</script>"


@pytest.mark.parametrize("suffix", ["", "/status.json", "/log"])
def test_other_peoples_submissions_are_404(ann_client, subs, suffix):
    response = ann_client.get(f"/me/submissions/{subs['theirs'].id}{suffix}")
    assert response.status_code == 404 and b"bob's log" not in response.data


@pytest.mark.parametrize("path", ["/me/submissions", "/me/submissions/1", "/me/submissions/1/status.json", "/me/submissions/1/log"])
def test_unauthenticated_is_sent_to_login(client, subs, path):
    response = client.get(path)
    assert response.status_code == 302 and "/login" in response.headers["Location"]
