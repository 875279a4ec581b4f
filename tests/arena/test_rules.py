"""Competition rules (issue 15): sanitized rendering, accepting once, and uploads refused until then."""
from __future__ import annotations

import hashlib
import io
import json
import re
from datetime import datetime, timezone

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from arena.core.enums import UserRole
from arena.core.models import AuditEntry, RulesAcceptance, Submission
from arena.services.rules import accept_rules, rules_refusal, rules_sha256, rules_state
from arena.services.tokens import create_token
from arena.web.templating import render_markdown
from webfixtures import ann_client, app, client, form_token, login_as, torchscript_file, world  # noqa: F401
from webseed import make_user

RULES = """# Competition rules

1. One account per person.
2. No hand-labelling of the hidden set.

- Uploads: **five** a day
- See [the guide](https://example.org/guide)

```python
print("code stays code")
```
"""


@pytest.fixture
def ruled(world):
    """The world's competition with rules text, committed."""
    world["competition"].rules = RULES
    world["session"].commit()
    return world


@pytest.fixture
def tokens(world):
    _, ann = create_token(world["session"], world["ann"], "ann")
    world["session"].commit()
    return {"ann": {"Authorization": f"Bearer {ann}"}}


def _web_upload(client, data: bytes):
    token = form_token(client, "/competitions/demo/submit")
    return client.post("/competitions/demo/submit", content_type="multipart/form-data",
                       data={"generator": (io.BytesIO(data), "model.pt"), "label": "v1", "csrf_token": token})


def _api_upload(client, headers, data: bytes):
    return client.post("/api/v1/competitions/demo/submissions", headers=headers, content_type="multipart/form-data",
                       data={"file": (io.BytesIO(data), "model.pt")})


def _accept_on_page(client, next_name: str | None = None):
    path = "/competitions/demo/rules" + (f"?next={next_name}" if next_name else "")
    token = form_token(client, path)
    action = "/competitions/demo/rules/accept" + (f"?next={next_name}" if next_name else "")
    return client.post(action, data={"csrf_token": token})


def _count(session, model) -> int:
    return session.scalar(sa.select(sa.func.count()).select_from(model))


# --- rendering -------------------------------------------------------------------------------

HOSTILE = """## Heading two

<script>alert('rules')</script>
<img src="x.png" onerror="alert(1)">
[click me](javascript:alert(2))
<a href="JaVaScRiPt:alert(3)">upper</a>
<a href="https://example.org" onclick="alert(4)">fine link</a>
<iframe src="https://evil.example"></iframe>
<style>body { display: none }</style>
<div onmouseover="alert(5)">raw div</div>
<form action="https://evil.example"><input name="password"></form>
<svg onload="alert(6)"></svg>
"""


def test_rules_markdown_keeps_structure_and_strips_anything_that_runs():
    kept = str(render_markdown(RULES))
    assert "<h1>Competition rules</h1>" in kept
    assert "<ol>" in kept and "<li>One account per person.</li>" in kept and "<ul>" in kept
    assert "<strong>five</strong>" in kept
    assert re.search(r'<a href="https://example.org/guide" rel="[^"]*nofollow[^"]*">the guide</a>', kept)
    assert 'rel="noopener noreferrer nofollow"' in kept
    assert "<pre><code>print(\"code stays code\")" in kept

    clean = str(render_markdown(HOSTILE)).lower()
    assert "<h2>heading two</h2>" in clean
    for bad in ("<script", "alert('rules')", "onerror", "onclick", "onmouseover", "onload", "javascript:",
                "<iframe", "<style", "display: none", "<form", "<input", "<svg", "<div"):
        assert bad not in clean, bad
    assert 'href="https://example.org"' in clean and "fine link" in clean and "raw div" in clean


def test_rules_page_renders_sanitized_and_is_public(client, world):
    world["competition"].rules = HOSTILE
    world["session"].commit()
    response = client.get("/competitions/demo/rules")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    body = html[html.index('id="rules-text"'):html.index('id="rules-accept"')]
    assert "<h2>Heading two</h2>" in body and "<script" not in body and "onerror" not in body.lower()
    assert "javascript:" not in body.lower()
    # A visitor reads the rules and is asked to log in to accept.
    assert "Log in to accept" in html and rules_sha256(HOSTILE)[:12] in html


def test_a_competition_without_rules_needs_no_acceptance(ann_client, world, torchscript_file):
    html = ann_client.get("/competitions/demo/rules").get_data(as_text=True)
    assert "have not written rules" in html and 'id="rules-accept"' not in html
    assert rules_refusal(world["session"], world["competition"], world["ann"]) is None
    assert _web_upload(ann_client, torchscript_file.read_bytes()).status_code == 302


# --- accepting and uploading (web) ----------------------------------------------------------

def test_web_upload_before_acceptance_is_refused_with_a_link(ann_client, ruled, torchscript_file):
    page = ann_client.get("/competitions/demo/submit").get_data(as_text=True)
    assert 'data-reason="rules_not_accepted"' in page and "disabled" in page
    assert 'href="/competitions/demo/rules?next=submit"' in page
    refused = _web_upload(ann_client, torchscript_file.read_bytes())
    html = refused.get_data(as_text=True)
    assert refused.status_code == 400
    assert "Accept the competition&#39;s rules before your first upload" in html and "/competitions/demo/rules" in html
    assert "code: rules_not_accepted" in html
    assert _count(ruled["session"], Submission) == 0


def test_accept_once_records_time_and_version_then_upload_works(ann_client, ruled, torchscript_file):
    before = datetime.now(timezone.utc)
    response = _accept_on_page(ann_client, next_name="submit")
    assert response.status_code == 302 and response.headers["Location"] == "/competitions/demo/submit"
    session = ruled["session"]
    session.expire_all()
    row = session.scalar(sa.select(RulesAcceptance))
    assert (row.user_id, row.competition_id) == (ruled["ann"].id, ruled["competition"].id)
    assert row.rules_sha256 == hashlib.sha256(RULES.encode()).hexdigest()
    assert before <= row.accepted_at <= datetime.now(timezone.utc) and row.accepted_at.tzinfo is not None
    # Accepting the same version again records nothing new.
    _accept_on_page(ann_client)
    assert _count(session, RulesAcceptance) == 1
    page = ann_client.get("/competitions/demo/rules").get_data(as_text=True)
    assert 'data-accepted="current"' in page and "You accepted these rules on" in page
    assert 'data-accepted="yes"' in ann_client.get("/competitions/demo").get_data(as_text=True)
    assert 'data-rule="rules"' in ann_client.get("/competitions/demo/guide").get_data(as_text=True)
    uploaded = _web_upload(ann_client, torchscript_file.read_bytes())
    assert uploaded.status_code == 302, uploaded.get_data(as_text=True)[-1500:]
    assert _count(session, Submission) == 1


def test_changed_rules_keep_an_earlier_acceptance_and_offer_the_new_version(ann_client, ruled, torchscript_file):
    session, comp, ann = ruled["session"], ruled["competition"], ruled["ann"]
    first = accept_rules(session, ann, comp)
    session.commit()
    comp.rules = RULES + "\n3. Be kind in the forum.\n"
    session.commit()
    state = rules_state(session, ann, comp)
    assert state.accepted and state.changed_since and state.accepted_sha256 == first.rules_sha256
    page = ann_client.get("/competitions/demo/rules").get_data(as_text=True)
    assert "data-rules-changed" in page and "I accept this version" in page
    assert _web_upload(ann_client, torchscript_file.read_bytes()).status_code == 302  # not locked out
    _accept_on_page(ann_client)
    session.expire_all()
    versions = [r.rules_sha256 for r in session.scalars(sa.select(RulesAcceptance).order_by(RulesAcceptance.id))]
    assert versions == [rules_sha256(RULES), rules_sha256(comp.rules)]
    assert rules_state(session, ann, comp).accepted_current


def test_accept_needs_login_and_csrf(client, ruled):
    assert client.post("/competitions/demo/rules/accept").status_code in (302, 400)
    login_as(client, "ann")
    no_token = client.post("/competitions/demo/rules/accept", data={})
    assert no_token.status_code == 400 and _count(ruled["session"], RulesAcceptance) == 0


def test_organizers_and_baselines_are_not_asked(ruled):
    session, comp = ruled["session"], ruled["competition"]
    organizer = make_user(session, "org", role=UserRole.ORGANIZER)
    assert rules_refusal(session, comp, organizer) is None
    assert rules_refusal(session, comp, ruled["ann"], is_baseline=True) is None
    assert rules_refusal(session, comp, ruled["ann"])[0] == "rules_not_accepted"


# --- the API --------------------------------------------------------------------------------

def test_api_upload_before_acceptance_is_a_json_error_naming_the_rules(client, ruled, tokens, torchscript_file):
    refused = _api_upload(client, tokens["ann"], torchscript_file.read_bytes())
    error = refused.get_json()["error"]
    assert refused.status_code == 403 and error["code"] == "rules_not_accepted"
    assert "/competitions/demo/rules" in error["message"]
    assert error["rules_url"] == "http://localhost/competitions/demo/rules"
    assert error["accept_url"] == "http://localhost/api/v1/competitions/demo/rules/accept"
    limits = client.get("/api/v1/competitions/demo/limits", headers=tokens["ann"]).get_json()
    assert (limits["can_submit"], limits["reason_code"]) == (False, "rules_not_accepted")
    assert limits["rules"]["required"] and not limits["rules"]["accepted"]


def test_api_accept_then_upload(client, ruled, tokens, torchscript_file):
    assert client.post("/api/v1/competitions/demo/rules/accept").status_code == 401
    read = client.get("/api/v1/competitions/demo/rules", headers=tokens["ann"]).get_json()
    assert read["text"] == RULES and read["version"] == rules_sha256(RULES) and read["accepted"] is False
    accepted = client.post("/api/v1/competitions/demo/rules/accept", headers=tokens["ann"])
    body = accepted.get_json()
    assert accepted.status_code == 200 and body["accepted"] and body["accepted_current"]
    assert body["accepted_version"] == rules_sha256(RULES) and body["accepted_at"]
    again = client.post("/api/v1/competitions/demo/rules/accept", headers=tokens["ann"]).get_json()
    assert again["accepted_at"] == body["accepted_at"] and _count(ruled["session"], RulesAcceptance) == 1
    assert client.get("/api/v1/competitions/demo/limits", headers=tokens["ann"]).get_json()["rules"]["accepted"]
    listed = client.get("/api/v1/competitions").get_json()["competitions"][0]
    assert listed["rules_required"] is True and listed["rules_url"].endswith("/api/v1/competitions/demo/rules")
    uploaded = _api_upload(client, tokens["ann"], torchscript_file.read_bytes())
    assert uploaded.status_code == 201, uploaded.get_json()


def test_openapi_documents_the_rules_routes(client):
    doc = client.get("/api/v1/openapi.json").get_json()
    assert doc["paths"]["/competitions/{slug}/rules/accept"]["post"]["security"] == [{"bearerAuth": []}]
    assert "403" in doc["paths"]["/competitions/{slug}/submissions"]["post"]["responses"]
    assert "accepted" in doc["components"]["schemas"]["RulesStanding"]["properties"]
    assert "rules_not_accepted" in doc["components"]["schemas"]["Limits"]["properties"]["reason_code"]["enum"]


# --- the organizer CLI ----------------------------------------------------------------------

def test_configure_rules_file_sets_the_rules_and_audits_the_versions(settings, db_session, tmp_path):
    from arena.cli import cli
    from arena.services.competitions import get_competition

    runner = CliRunner()

    def invoke(*args):
        result = runner.invoke(cli, list(args), obj={"settings": settings})
        assert result.exit_code == 0, result.output
        return result

    rules_file = tmp_path / "rules.md"
    rules_file.write_text(RULES, encoding="utf-8")
    invoke("competition", "create", "ruled", "--title", "Ruled", "--status", "open")
    shown = json.loads(invoke("competition", "configure", "ruled", "--rules-file", str(rules_file), "--json").stdout)
    assert shown["rules_sha256"] == rules_sha256(RULES)
    db_session.expire_all()
    assert get_competition(db_session, "ruled").rules == RULES
    entry = db_session.scalars(sa.select(AuditEntry).order_by(AuditEntry.id.desc())).first()
    assert json.dumps(entry.details).count(rules_sha256(RULES)) == 1 and "One account" not in json.dumps(entry.details)
    ann = make_user(db_session, "ann2")
    accept_rules(db_session, ann, get_competition(db_session, "ruled"))
    db_session.commit()
    listed = json.loads(invoke("competition", "acceptances", "ruled", "--json").stdout)
    assert listed["current_rules_sha256"] == rules_sha256(RULES)
    assert [(r["username"], r["rules_sha256"], r["current"]) for r in listed["acceptances"]] == [
        ("ann2", rules_sha256(RULES), True)]
    assert "ann2" in invoke("competition", "acceptances", "ruled").output
    rules_file.write_text("", encoding="utf-8")
    invoke("competition", "configure", "ruled", "--rules-file", str(rules_file))
    db_session.expire_all()
    assert get_competition(db_session, "ruled").rules == ""


def test_a_bundle_declares_the_rules_and_exports_them_back(settings, db_session, tmp_path):
    import yaml

    from arena.cli import cli
    from arena.services.competitions import get_competition

    runner = CliRunner()
    root = tmp_path / "bundle"
    root.mkdir()
    (root / "rules.md").write_text(RULES, encoding="utf-8")
    (root / "bundle.yaml").write_text(yaml.safe_dump({"slug": "declared", "title": "Declared", "status": "open",
                                                      "rules_file": "rules.md"}), encoding="utf-8")
    first = runner.invoke(cli, ["competition", "apply", str(root / "bundle.yaml")], obj={"settings": settings})
    assert first.exit_code == 0 and "rules: - -> " in first.output, first.output
    again = runner.invoke(cli, ["competition", "apply", str(root / "bundle.yaml")], obj={"settings": settings})
    assert again.output.startswith("no change"), again.output
    db_session.expire_all()
    assert get_competition(db_session, "declared").rules == RULES
    out = tmp_path / "exported"
    exported = runner.invoke(cli, ["competition", "export-bundle", "declared", "-o", str(out)], obj={"settings": settings})
    assert exported.exit_code == 0, exported.output
    assert yaml.safe_load((out / "bundle.yaml").read_text())["rules_file"] == "rules.md"
    assert (out / "rules.md").read_text(encoding="utf-8") == RULES
