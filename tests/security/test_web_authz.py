"""Authorization on every object route: visitors, other participants, owners, organizers."""
from __future__ import annotations

import pytest

from arena.core.enums import CompetitionStatus, SubmissionStatus, UserRole
from arena.services.tokens import create_token
from arena.core.store.outputs import outputs_path
from webfixtures import app, client, login_as, world  # noqa: F401  (fixtures)
from webseed import add_scored, full_scores, make_competition, make_submission, make_user

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 16


@pytest.fixture
def objects(world, app):
    """bob's private (queued) and public (scored) submissions, a draft competition, an organizer."""
    s = world["session"]
    make_user(s, "org", role=UserRole.ORGANIZER)
    private = make_submission(s, world["competition"], world["bob"], label="bob-private", public_log="BOB-LOG")
    public = add_scored(s, world["competition"], world["bob"], full_scores(5.0), 9, label="bob-public",
                        public_log="BOB-LOG", public_outputs_sha256="c" * 64)
    public.evaluations[0].outputs_sha256 = "d" * 64
    draft = make_competition(s, "draft", status=CompetitionStatus.DRAFT)
    s.commit()
    settings = app.extensions["stylearena"].settings
    for sha in ("c" * 64, "d" * 64):
        outputs_path(settings, sha).mkdir(parents=True)
        (outputs_path(settings, sha) / "p1.png").write_bytes(PNG)
    (outputs_path(settings, "d" * 64) / "hidden-only.png").write_bytes(PNG)
    return {"private": private, "public": public, "draft": draft}


OWNER_ONLY = ["/me/submissions/{id}", "/me/submissions/{id}/status.json", "/me/submissions/{id}/log"]


@pytest.mark.parametrize("template", OWNER_ONLY)
@pytest.mark.parametrize("which", ["private", "public"])
def test_owner_only_routes(app, objects, template, which):
    path = template.format(id=objects[which].id)
    visitor = app.test_client()
    assert visitor.get(path).status_code == 302  # to login
    ann = app.test_client()
    login_as(ann, "ann")
    denied = ann.get(path)
    assert denied.status_code == 404 and b"BOB-LOG" not in denied.data and b"bob-p" not in denied.data
    bob = app.test_client()
    login_as(bob, "bob")
    assert bob.get(path).status_code == 200


def test_public_page_only_for_scored_submissions(app, objects):
    visitor = app.test_client()
    assert visitor.get(f"/submissions/{objects['public'].id}").status_code == 200
    assert visitor.get(f"/submissions/{objects['private'].id}").status_code == 404
    assert visitor.get(f"/submissions/{objects['private'].id}/outputs/p1.png").status_code == 404
    page = visitor.get(f"/submissions/{objects['public'].id}").get_data(as_text=True)
    assert "BOB-LOG" not in page and "/me/submissions/" not in page


def test_hidden_split_outputs_are_never_served(app, objects):
    visitor = app.test_client()
    base = f"/submissions/{objects['public'].id}/outputs"
    assert visitor.get(f"{base}/p1.png").status_code == 200
    assert visitor.get(f"{base}/hidden-only.png").status_code == 404
    for name in ("..%2F..%2F" + "d" * 64 + "%2Fp1.png", "%2Fetc%2Fpasswd", "p1.PNG.exe"):
        assert visitor.get(f"{base}/{name}").status_code == 404


def test_disqualified_submission_is_not_public(app, world, objects):
    objects["public"].status = SubmissionStatus.DISQUALIFIED
    world["session"].commit()
    assert app.test_client().get(f"/submissions/{objects['public'].id}").status_code == 404


def test_drafts_are_for_organizers_only(app, objects):
    for path in ("/competitions/draft", "/competitions/draft/leaderboard", "/competitions/draft/leaderboard.json",
                 "/competitions/draft/submit", "/api/v1/competitions/draft/leaderboard"):
        participant = app.test_client()
        login_as(participant, "ann")
        assert participant.get(path).status_code == 404, path
    org = app.test_client()
    login_as(org, "org")
    assert org.get("/competitions/draft").status_code == 200


def test_api_objects_are_owner_scoped(app, world, objects):
    _, raw = create_token(world["session"], world["ann"], "t")
    world["session"].commit()
    headers = {"Authorization": f"Bearer {raw}"}
    client = app.test_client()
    for which in ("private", "public"):
        assert client.get(f"/api/v1/submissions/{objects[which].id}", headers=headers).status_code == 404
    assert client.get("/api/v1/submissions", headers=headers).get_json() == {"submissions": []}
    # Session cookies do not authenticate the API.
    login_as(client, "bob")
    assert client.get(f"/api/v1/submissions/{objects['private'].id}").status_code == 401


def test_uploaded_files_have_no_route(app, objects):
    client = app.test_client()
    login_as(client, "bob")
    sha = objects["private"].sha256
    for path in (f"/uploads/{sha}", f"/static/../data/uploads/{sha}", f"/me/submissions/{objects['private'].id}/file"):
        assert client.get(path).status_code == 404
