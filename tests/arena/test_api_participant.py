"""The API a participant's script needs: limits and quota, the dev set, and the smoke run's log."""
from __future__ import annotations

import pytest

from arena.core.enums import CompetitionStatus, SubmissionStatus, UserRole
from arena.services.tokens import create_token
from arena.services.upload_rules import UPLOAD_SUFFIXES
from webfixtures import app, client, world  # noqa: F401  (fixtures)
from webseed import make_competition, make_submission, make_user


@pytest.fixture
def tokens(world):
    session = world["session"]
    world["org"] = make_user(session, "org", role=UserRole.ORGANIZER)
    headers = {}
    for name in ("ann", "bob", "org"):
        _, raw = create_token(session, world[name], name)
        headers[name] = {"Authorization": f"Bearer {raw}"}
    session.commit()
    return headers


def test_limits_state_the_live_settings(app, client, world):  # noqa: F811
    settings = app.extensions["stylearena"].settings
    limits = client.get("/api/v1/competitions/demo/limits")
    body = limits.get_json()
    assert limits.headers["Cache-Control"] == "no-store"
    assert body["upload"] == {"max_bytes": settings.max_upload_mb * 1024 * 1024,
                              "max_size": f"{settings.max_upload_mb} MB", "formats": list(UPLOAD_SUFFIXES),
                              "max_label_chars": 120, "max_notes_chars": 4000}
    sandbox = settings.sandbox
    assert body["sandbox"]["timeout_s"] == sandbox.timeout_s and body["sandbox"]["memory_mb"] == sandbox.memory_mb
    assert body["sandbox"]["smoke_timeout_s"] == sandbox.run_limits(smoke=True).timeout_s
    assert body["sandbox"]["device"] == "cpu" and body["sandbox"]["torch_version"].startswith("2.")
    comp = world["competition"]
    assert (body["daily_quota"], body["smoke_failure_cap"]) == (comp.daily_quota, 4 * comp.daily_quota)
    assert body["guide_url"].endswith("/competitions/demo/guide")
    assert client.get("/api/v1/competitions/nope/limits").status_code == 404


def test_drafts_stay_hidden_from_the_new_routes(client, world, tokens):
    make_competition(world["session"], "secret-draft", status=CompetitionStatus.DRAFT)
    world["session"].commit()
    for path in ("/api/v1/competitions/secret-draft/limits", "/api/v1/competitions/secret-draft/dev-set"):
        response = client.get(path, headers=tokens["ann"])
        assert response.status_code == 404 and response.get_json()["error"]["code"] == "competition_not_found"
    assert client.get("/api/v1/competitions/secret-draft/limits", headers=tokens["org"]).status_code == 200


def test_dev_set_is_the_competition_pages_zip(app, client, world, tmp_path, db_session):  # noqa: F811
    from datasets_helpers import publish_small_sets

    missing = client.get("/api/v1/competitions/demo/dev-set")  # the seeded row has no files
    assert missing.status_code == 404 and missing.get_json()["error"]["code"] == "dataset_missing"
    world["competition"].public_dataset = None
    world["session"].commit()
    none = client.get("/api/v1/competitions/demo/dev-set")
    assert none.status_code == 404 and none.get_json()["error"]["code"] == "no_dev_set"
    listed = client.get("/api/v1/competitions").get_json()["competitions"][0]
    assert listed["dev_set_url"] is None and listed["limits_url"].endswith("/api/v1/competitions/demo/limits")

    public, _ = publish_small_sets(db_session, app.extensions["stylearena"].settings, tmp_path)
    world["competition"].public_dataset = public
    world["session"].commit()
    api = client.get("/api/v1/competitions/demo/dev-set")
    page = client.get("/competitions/demo/dev-set.zip")
    assert api.status_code == 200 and api.mimetype == "application/zip" and api.data == page.data
    assert 'filename=demo-dev-set.zip' in api.headers["Content-Disposition"]
    listed = client.get("/api/v1/competitions").get_json()["competitions"][0]
    assert listed["dev_set_url"].endswith("/api/v1/competitions/demo/dev-set")


def test_log_is_the_owners_and_the_organizers_only(client, world, tokens):
    sub = make_submission(world["session"], world["competition"], world["ann"], status=SubmissionStatus.SCORED,
                          public_log="step 1 of the smoke run\n")
    world["session"].commit()
    url = f"/api/v1/submissions/{sub.id}/log"
    own = client.get(url, headers=tokens["ann"])
    assert own.status_code == 200 and own.headers["Cache-Control"] == "no-store"
    assert own.get_json() == {"id": sub.id, "split": "public", "available": True,
                              "log": "step 1 of the smoke run\n", "message": None}
    assert client.get(url, headers=tokens["org"]).get_json()["log"] == "step 1 of the smoke run\n"
    # Someone else hears exactly what a missing id says: ids leak nothing.
    other = client.get(url, headers=tokens["bob"])
    nothing = client.get(f"/api/v1/submissions/{sub.id + 1000}/log", headers=tokens["bob"])
    assert other.status_code == nothing.status_code == 404 and other.get_json() == nothing.get_json()
    assert client.get(url).status_code == 401


def test_a_hidden_run_failure_says_why_there_is_no_log(client, world, tokens):
    sub = make_submission(world["session"], world["competition"], world["ann"], status=SubmissionStatus.FAILED,
                          error_code="generator_error", error_message="Your generator raised on the hidden run.")
    world["session"].commit()
    body = client.get(f"/api/v1/submissions/{sub.id}/log", headers=tokens["ann"]).get_json()
    assert body["available"] is False and body["log"] is None
    assert "hidden run" in body["message"] and "never shown" in body["message"]
    # The same words as the owner's log page.
    from arena.web.me.routes import _no_log_text

    assert body["message"] == _no_log_text(sub).strip()


def test_every_json_answer_has_exactly_the_documented_fields(client, world, tokens):
    """The schemas on the docs page are the answers' real shape (a new field fails until documented)."""
    from webseed import add_scored, full_scores

    sub = add_scored(world["session"], world["competition"], world["ann"], full_scores(3.0), 1)
    world["session"].commit()
    schemas = client.get("/api/v1/openapi.json").get_json()["components"]["schemas"]

    def props(name, *inner):
        schema = schemas[name]
        for key in inner:
            schema = schema["properties"][key]
            schema = schema.get("items", schema)
        return set(schema["properties"])

    def get(path):
        response = client.get("/api/v1" + path, headers=tokens["ann"])
        assert response.status_code == 200, (path, response.get_json())
        return response.get_json()

    assert set(get("/me")) == props("User")
    listing = get("/competitions")
    assert set(listing) == props("CompetitionList") and set(listing["competitions"][0]) == props(
        "CompetitionList", "competitions")
    board = get("/competitions/demo/leaderboard")
    assert set(board) == props("Leaderboard") and set(board["rows"][0]) == props("Leaderboard", "rows")
    limits = get("/competitions/demo/limits")
    assert set(limits) == props("Limits")
    for part in ("quota", "upload", "sandbox"):
        assert set(limits[part]) == props("Limits", part), part
    assert set(get(f"/submissions/{sub.id}")) == props("Submission")
    assert set(get("/submissions")) == props("SubmissionList")
    assert set(get(f"/submissions/{sub.id}/log")) == props("SubmissionLog")
    error = client.get("/api/v1/me").get_json()
    assert set(error) == props("Error") and set(error["error"]) <= props("Error", "error")
