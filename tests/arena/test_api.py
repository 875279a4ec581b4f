"""The /api/v1 JSON API: token auth, submit, status, own submissions, leaderboard, OpenAPI."""
from __future__ import annotations

import io
import re

import pytest
import sqlalchemy as sa

from arena.core.models import Submission
from arena.services.tokens import create_token, revoke_token
from webfixtures import app, client, torchscript_file, world  # noqa: F401  (fixtures)
from webseed import add_scored, full_scores, make_submission


@pytest.fixture
def tokens(world):
    s = world["session"]
    _, ann = create_token(s, world["ann"], "ann")
    _, bob = create_token(s, world["bob"], "bob")
    s.commit()
    return {"ann": {"Authorization": f"Bearer {ann}"}, "bob": {"Authorization": f"Bearer {bob}"}}


def _upload(client, headers, data: bytes, filename="model.pt", **form):
    return client.post("/api/v1/competitions/demo/submissions", headers=headers,
                       data={"file": (io.BytesIO(data), filename), **form}, content_type="multipart/form-data")


def test_token_auth(client, tokens, world):
    assert client.get("/api/v1/me", headers=tokens["ann"]).get_json()["username"] == "ann"
    missing = client.get("/api/v1/me")
    assert missing.status_code == 401 and missing.get_json()["error"]["code"] == "missing_token"
    bad = client.get("/api/v1/me", headers={"Authorization": "Bearer sa_nope"})
    assert bad.status_code == 401 and bad.get_json()["error"]["code"] == "invalid_token"


def test_revoked_token_is_refused(client, tokens, world):
    s = world["session"]
    revoke_token(s, world["ann"], world["ann"].tokens[0].id)
    s.commit()
    assert client.get("/api/v1/me", headers=tokens["ann"]).status_code == 401


def test_submit_status_and_list(client, tokens, world, torchscript_file):
    response = _upload(client, tokens["ann"], torchscript_file.read_bytes(), label="api-v1")
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["status"] == "queued" and body["label"] == "api-v1" and body["format"] == "torchscript"
    assert response.headers["Location"] == f"/api/v1/submissions/{body['id']}"
    status = client.get(f"/api/v1/submissions/{body['id']}", headers=tokens["ann"]).get_json()
    assert status["id"] == body["id"] and status["final"] is False
    listing = client.get("/api/v1/submissions", headers=tokens["ann"]).get_json()["submissions"]
    assert [s["id"] for s in listing] == [body["id"]]
    assert client.get("/api/v1/submissions", headers=tokens["bob"]).get_json()["submissions"] == []


def test_submit_errors_are_json(client, tokens, world):
    rejected = _upload(client, tokens["ann"], b"not a model")
    assert rejected.status_code == 400 and set(rejected.get_json()["error"]) == {"code", "message"}
    wrong = _upload(client, tokens["ann"], b"x", filename="model.exe")
    assert wrong.get_json()["error"]["code"] == "bad_extension"
    none = client.post("/api/v1/competitions/demo/submissions", headers=tokens["ann"])
    assert none.status_code == 400 and none.get_json()["error"]["code"] == "missing_file"
    anon = _upload(client, {}, b"x")
    assert anon.status_code == 401 and anon.is_json
    missing = client.post("/api/v1/competitions/nope/submissions", headers=tokens["ann"])
    assert missing.status_code == 404 and missing.is_json
    assert world["session"].scalar(sa.select(sa.func.count(Submission.id))) == 0


def test_quota_exceeded_is_429(client, tokens, world, torchscript_file):
    world["competition"].daily_quota = 1
    world["session"].commit()
    assert _upload(client, tokens["ann"], torchscript_file.read_bytes()).status_code == 201
    response = _upload(client, tokens["ann"], torchscript_file.read_bytes())
    assert response.status_code == 429 and "resets at" in response.get_json()["error"]["message"]


def test_quota_zero_says_no_uploads_are_accepted(client, tokens, world, torchscript_file):
    world["competition"].daily_quota = 0
    world["session"].commit()
    response = _upload(client, tokens["ann"], torchscript_file.read_bytes())
    message = response.get_json()["error"]["message"]
    assert response.status_code == 429 and "quota is 0" in message and "used all" not in message


def test_cannot_read_someone_elses_submission(client, tokens, world):
    sub = make_submission(world["session"], world["competition"], world["bob"])
    world["session"].commit()
    response = client.get(f"/api/v1/submissions/{sub.id}", headers=tokens["ann"])
    assert response.status_code == 404 and response.get_json()["error"]["code"] == "submission_not_found"
    assert client.get(f"/api/v1/submissions/{sub.id}", headers=tokens["bob"]).status_code == 200


def test_competitions_and_leaderboard(client, world):
    add_scored(world["session"], world["competition"], world["ann"], full_scores(3.0, fid=1.5), 1)
    world["session"].commit()
    comps = client.get("/api/v1/competitions").get_json()["competitions"]
    assert [(c["slug"], c["entrants"]) for c in comps] == [("demo", 1)]
    board = client.get("/api/v1/competitions/demo/leaderboard?metric=fid").get_json()
    assert board["sort_metric"] == "fid" and board["rows"][0]["metrics"]["fid"] == 1.5
    assert client.get("/api/v1/competitions/demo/leaderboard?metric=nope").status_code == 400


def test_method_not_allowed_is_json(client, world):
    response = client.delete("/api/v1/competitions")
    assert response.status_code == 405 and response.get_json()["error"]["code"] == "method_not_allowed"


def test_openapi_matches_the_routes(app, client):
    doc = client.get("/api/v1/openapi.json").get_json()
    assert doc["openapi"].startswith("3.") and doc["servers"][0]["url"].endswith("/api/v1")
    documented = {(path, method.upper()) for path, ops in doc["paths"].items() for method in ops}
    routed = set()
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("api."):
            path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule).removeprefix("/api/v1")
            routed |= {(path, m) for m in rule.methods - {"HEAD", "OPTIONS"}}
    assert documented == routed
    for path, ops in doc["paths"].items():
        params = set(re.findall(r"{(\w+)}", path))
        for op in ops.values():
            declared = {p["name"] for p in op.get("parameters", []) if p["in"] == "path"}
            assert declared == params, path
            for response in op["responses"].values():
                ref = response.get("content", {}).get("application/json", {}).get("schema", {}).get("$ref")
                if ref:
                    assert ref.rsplit("/", 1)[1] in doc["components"]["schemas"]


def test_upload_rules_refuse_instead_of_truncating(client, tokens, world, torchscript_file):
    from arena.services.upload_rules import MAX_LABEL_CHARS, MAX_NOTES_CHARS

    data = torchscript_file.read_bytes()
    long_label = _upload(client, tokens["ann"], data, label="x" * (MAX_LABEL_CHARS + 1))
    assert long_label.status_code == 400 and long_label.get_json()["error"]["code"] == "label_too_long"
    long_notes = _upload(client, tokens["ann"], data, notes="n" * (MAX_NOTES_CHARS + 1))
    assert long_notes.get_json()["error"]["code"] == "notes_too_long"
    assert world["session"].scalar(sa.select(sa.func.count(Submission.id))) == 0
    exact = _upload(client, tokens["ann"], data, label="y" * MAX_LABEL_CHARS)
    assert exact.status_code == 201 and exact.get_json()["label"] == "y" * MAX_LABEL_CHARS
    # The published contract states the same limits the service enforces.
    spec = client.get("/api/v1/openapi.json").get_json()
    props = spec["paths"]["/competitions/{slug}/submissions"]["post"]["requestBody"]["content"][
        "multipart/form-data"]["schema"]["properties"]
    assert (props["label"]["maxLength"], props["notes"]["maxLength"]) == (MAX_LABEL_CHARS, MAX_NOTES_CHARS)
