"""Why the upload button is disabled, said beside it and by the API's limits route (same words)."""
from __future__ import annotations

import re

import pytest

from arena.core.enums import CompetitionStatus, SubmissionStatus
from arena.core.models import utcnow
from arena.services.tokens import create_token
from webfixtures import ann_client, app, client, login_as, world  # noqa: F401  (fixtures)
from webseed import make_submission

DISABLED = re.compile(r'<button type="submit" class="btn" disabled aria-describedby="submit-why">')


def _reason(html: str) -> tuple[str, str] | None:
    match = re.search(r'<p class="why-disabled" id="submit-why" data-reason="([^"]+)">([^<]+)</p>', html)
    return (match.group(1), match.group(2)) if match else None


@pytest.fixture
def token(world):
    _, raw = create_token(world["session"], world["ann"], "limits")
    world["session"].commit()
    return {"Authorization": f"Bearer {raw}"}


def test_open_competition_enables_the_button(ann_client, client, world, token):
    html = ann_client.get("/competitions/demo/submit").get_data(as_text=True)
    assert _reason(html) is None and not DISABLED.search(html) and "Upload and queue" in html
    limits = client.get("/api/v1/competitions/demo/limits", headers=token).get_json()
    assert limits["can_submit"] is True and limits["reason"] is None
    assert limits["quota"]["remaining"] == world["competition"].daily_quota


def test_used_up_quota_disables_the_button_and_says_when_it_resets(ann_client, client, world, token):
    comp, session = world["competition"], world["session"]
    comp.daily_quota = 2
    for _ in range(2):  # two counted uploads today
        make_submission(session, comp, world["ann"], status=SubmissionStatus.SCORED, created_at=utcnow())
    # Yesterday's and smoke-run failures do not count (the charging rule).
    make_submission(session, comp, world["ann"], status=SubmissionStatus.FAILED, created_at=utcnow(),
                    failed_on_smoke=True, counts_against_quota=False)
    session.commit()
    html = ann_client.get("/competitions/demo/submit").get_data(as_text=True)
    assert DISABLED.search(html)
    code, text = _reason(html)
    assert code == "quota_exceeded" and "used all 2 uploads for today" in text
    assert re.search(r"resets at \d{4}-\d\d-\d\d 00:00 UTC \(in \d+ h \d+ min\)", text)
    assert "Free smoke-run failures left today: 7 / 8" in html
    limits = client.get("/api/v1/competitions/demo/limits", headers=token).get_json()
    assert (limits["can_submit"], limits["reason_code"], limits["reason"]) == (False, "quota_exceeded", text)
    assert limits["quota"] | {"resets_at": None} == {"limit": 2, "used": 2, "remaining": 0, "smoke_failures_used": 1,
                                                      "smoke_failures_left": 7, "resets_at": None}
    # Another participant's quota is their own.
    login_as(other := client.application.test_client(), "bob")
    assert _reason(other.get("/competitions/demo/submit").get_data(as_text=True)) is None


def test_smoke_failure_cap_disables_the_button(ann_client, world):
    comp, session = world["competition"], world["session"]
    comp.daily_quota = 1
    for _ in range(4):  # the cap is 4 x the quota
        make_submission(session, comp, world["ann"], status=SubmissionStatus.FAILED, created_at=utcnow(),
                        failed_on_smoke=True, counts_against_quota=False)
    session.commit()
    html = ann_client.get("/competitions/demo/submit").get_data(as_text=True)
    code, text = _reason(html)
    assert DISABLED.search(html) and code == "smoke_failures_exceeded" and "4 of your uploads failed" in text
    assert "1</b> / 1 left" in html  # the counted quota itself is untouched


def test_closed_and_benchmarkless_competitions_say_so(ann_client, client, world):
    comp, session = world["competition"], world["session"]
    comp.status = CompetitionStatus.CLOSED
    session.commit()
    html = ann_client.get("/competitions/demo/submit").get_data(as_text=True)
    # Closed: no upload button at all, only the reason (issue 19).
    assert "Upload and queue" not in html and _reason(html)[0] == "competition_closed"
    assert client.get("/api/v1/competitions/demo/limits").get_json()["reason_code"] == "competition_closed"
    comp.status, comp.hidden_dataset = CompetitionStatus.OPEN, None
    session.commit()
    code, text = _reason(ann_client.get("/competitions/demo/submit").get_data(as_text=True))
    assert code == "no_dataset" and "no benchmark yet" in text


def test_visitor_sees_log_in_and_the_api_asks_for_a_token(app, world):  # noqa: F811
    visitor = app.test_client()
    page = visitor.get("/competitions/demo").get_data(as_text=True)
    assert re.search(r'href="/login\?next=[^"]*submit[^"]*"[^>]*>Log in to submit</a>', page)
    limits = visitor.get("/api/v1/competitions/demo/limits").get_json()
    assert limits["can_submit"] is False and limits["reason_code"] == "not_signed_in" and limits["quota"] is None
    assert "Authorization: Bearer" in limits["reason"]
    bad = visitor.get("/api/v1/competitions/demo/limits", headers={"Authorization": "Bearer sa_wrong"})
    assert bad.status_code == 401  # a wrong token is an error, never taken for a visitor
