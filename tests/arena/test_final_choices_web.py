"""Final submissions on the participant's pages (CSRF form) and through the API (personal token)."""
from __future__ import annotations

from datetime import timedelta

import pytest

from arena.core.models import Submission, utcnow
from arena.services.tokens import create_token
from webfixtures import ann_client, app, client, form_token, world  # noqa: F401  (fixtures)
from webseed import add_scored, full_scores, make_submission


@pytest.fixture
def subs(world):
    s, comp = world["session"], world["competition"]
    comp.ends_at = utcnow() + timedelta(days=3)
    subs = {name: add_scored(s, comp, world["ann"], full_scores(value), minutes, label=name)
            for name, value, minutes in (("best", 10.0, 1), ("second", 11.0, 2), ("third", 12.0, 3))}
    subs["queued"] = make_submission(s, comp, world["ann"], label="queued")
    subs["bobs"] = add_scored(s, comp, world["bob"], full_scores(9.0), 4, label="bobs")
    s.commit()
    return subs


def _toggle(client, sub_id, final, token=None, back="list"):
    token = token or form_token(client, "/me/submissions")
    return client.post(f"/me/submissions/{sub_id}/final",
                       data={"final": "1" if final else "0", "csrf_token": token, "back": back})


def _marked(world, sub) -> bool:
    world["session"].expire_all()
    return world["session"].get(Submission, sub.id).marked_final_at is not None


def test_page_states_the_rule_and_the_default(ann_client, world, subs):
    html = ann_client.get("/me/submissions").get_data(as_text=True)
    assert "0 of 2 chosen" in html
    assert "without a choice your best 2 by public-board score are taken on" in html
    # The two that would be taken now say so; the third and the queued one do not.
    for name, taken in (("best", True), ("second", True), ("third", False)):
        row = html[html.index(f'data-final-toggle="{subs[name].id}"'):]
        assert ("taken by default" in row[:row.index("</div>")]) is taken
    assert f'action="/me/submissions/{subs["third"].id}/final"' in html
    assert f'action="/me/submissions/{subs["queued"].id}/final"' not in html


def test_toggle_marks_and_unmarks(ann_client, world, subs):
    response = _toggle(ann_client, subs["third"].id, True)
    assert response.status_code == 302 and response.headers["Location"].endswith(f"#submission-{subs['third'].id}")
    assert _marked(world, subs["third"])
    html = ann_client.get("/me/submissions").get_data(as_text=True)
    assert "1 of 2 chosen" in html and "is marked final" in html and "taken by default" not in html
    _toggle(ann_client, subs["third"].id, False)
    assert not _marked(world, subs["third"])


def test_the_k_plus_first_is_refused_with_a_clear_message(ann_client, world, subs):
    _toggle(ann_client, subs["best"].id, True)
    _toggle(ann_client, subs["second"].id, True)
    response = _toggle(ann_client, subs["third"].id, True)
    assert response.status_code == 302 and not _marked(world, subs["third"])
    html = ann_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "flash-error" in html and "unmark one first" in html and "2 of 2 chosen" in html


def test_refused_after_the_end_date(ann_client, world, subs):
    token = form_token(ann_client, "/me/submissions")
    world["competition"].ends_at = utcnow() - timedelta(minutes=1)
    world["session"].commit()
    response = _toggle(ann_client, subs["third"].id, True, token=token)
    assert not _marked(world, subs["third"])
    html = ann_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "The competition has ended" in html and "Final choices are closed" in html
    assert f'action="/me/submissions/{subs["third"].id}/final"' not in html


def test_toggle_needs_csrf_and_ownership(ann_client, world, subs):
    no_csrf = ann_client.post(f"/me/submissions/{subs['third'].id}/final", data={"final": "1"})
    assert no_csrf.status_code == 400 and not _marked(world, subs["third"])
    theirs = _toggle(ann_client, subs["bobs"].id, True)
    assert theirs.status_code == 404 and not _marked(world, subs["bobs"])


def test_submission_page_has_the_toggle(ann_client, world, subs):
    page = ann_client.get(f"/me/submissions/{subs['best'].id}").get_data(as_text=True)
    assert 'id="final-choice"' in page and "0 of 2 chosen" in page and "taken by default" in page
    token = form_token(ann_client, f"/me/submissions/{subs['best'].id}")
    response = _toggle(ann_client, subs["best"].id, True, token=token, back="submission")
    assert response.headers["Location"].endswith(f"/me/submissions/{subs['best'].id}")
    page = ann_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "1 of 2 chosen" in page and ">Unmark<" in page


def test_logged_out_changes_nothing(client, world, subs):
    response = client.post(f"/me/submissions/{subs['best'].id}/final", data={"final": "1"})
    assert response.status_code in (302, 400) and not _marked(world, subs["best"])


@pytest.fixture
def headers(world):
    headers = {}
    for name in ("ann", "bob"):
        _, raw = create_token(world["session"], world[name], name)
        headers[name] = {"Authorization": f"Bearer {raw}"}
    world["session"].commit()
    return headers


def test_api_marks_and_reports_marked_final(client, world, subs, headers):
    url = f"/api/v1/submissions/{subs['third'].id}/final"
    response = client.post(url, json={"final": True}, headers=headers["ann"])
    body = response.get_json()
    assert response.status_code == 200 and body["marked_final"] is True and body["marked_final_at"]
    assert body["final"] is True  # still "no further change expected" (scored), as the poller reads it
    listed = client.get("/api/v1/submissions", headers=headers["ann"]).get_json()["submissions"]
    assert {s["id"]: s["marked_final"] for s in listed}[subs["third"].id] is True
    off = client.post(url, json={"final": False}, headers=headers["ann"]).get_json()
    assert off["marked_final"] is False and off["marked_final_at"] is None and not _marked(world, subs["third"])


def test_api_refusals(client, world, subs, headers):
    ann = headers["ann"]
    for name in ("best", "second"):
        assert client.post(f"/api/v1/submissions/{subs[name].id}/final", json={"final": True},
                           headers=ann).status_code == 200
    full = client.post(f"/api/v1/submissions/{subs['third'].id}/final", json={"final": True}, headers=ann)
    assert full.status_code == 409 and full.get_json()["error"]["code"] == "final_limit_reached"
    assert "unmark one first" in full.get_json()["error"]["message"] and not _marked(world, subs["third"])
    queued = client.post(f"/api/v1/submissions/{subs['queued'].id}/final", json={"final": True}, headers=ann)
    assert queued.status_code == 409 and queued.get_json()["error"]["code"] == "not_scored"
    for bad in ({"final": "yes"}, {}, None):
        response = client.post(f"/api/v1/submissions/{subs['third'].id}/final", json=bad, headers=ann)
        assert response.status_code == 400 and response.get_json()["error"]["code"] == "invalid_body"
    theirs = client.post(f"/api/v1/submissions/{subs['bobs'].id}/final", json={"final": True}, headers=ann)
    assert theirs.status_code == 404 and not _marked(world, subs["bobs"])
    anonymous = client.post(f"/api/v1/submissions/{subs['best'].id}/final", json={"final": False})
    assert anonymous.status_code == 401 and _marked(world, subs["best"])


def test_the_guide_states_the_rule(client, world, subs):
    world["competition"].final_submissions_k = 3
    world["session"].commit()
    html = client.get("/competitions/demo/guide").get_data(as_text=True)
    rule = html[html.index('data-rule="final-submissions"'):]
    rule = rule[:rule.index("</p>")]
    assert "Mark up to 3 of your scored submissions" in rule and "your best 3 by public-board score" in rule
    assert world["competition"].ends_at.strftime("%Y-%m-%d") in rule
