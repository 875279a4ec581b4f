"""Issue 19: the organizer page of a competition: submissions, both logs, progress, audit, guarded moderation."""
from __future__ import annotations

import re
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from arena.core.enums import SubmissionStatus, UserRole
from arena.core.models import AuditEntry, Submission
from arena.services import audit
from webfixtures import app, client, login_as, world  # noqa: F401
from webseed import PASSWORD, add_scored, csrf_token, full_scores, make_competition, make_user

DESKTOP, PHONE = {"width": 1280, "height": 800}, {"width": 390, "height": 844}


@pytest.fixture
def organized(world):
    s = world["session"]
    make_user(s, "org", role=UserRole.ORGANIZER)
    lead = add_scored(s, world["competition"], world["ann"], full_scores(5.0), minutes=1, label="ann-best",
                      public_log="smoke step 1 ok\n")
    lead.evaluations[0].error_detail = "hidden-run stderr: warning about pair p07"
    add_scored(s, world["competition"], world["bob"], full_scores(9.0), minutes=2, label="bob-try")
    elsewhere = add_scored(s, make_competition(s, "other"), world["bob"], full_scores(1.0), minutes=3)
    audit.record(s, "configure", world["competition"], {"daily_quota": [5, 3]}, actor="cli:olga")
    s.commit()
    return lead, elsewhere


def test_only_organizers_see_the_page(app, world, organized):
    ann = app.test_client()
    login_as(ann, "ann")
    assert ann.get("/admin/competitions/demo").status_code == 403
    assert app.test_client().get("/admin/competitions/demo").status_code == 302  # to the login page


def test_page_lists_submissions_logs_progress_and_audit(app, world, organized):
    org = app.test_client()
    login_as(org, "org")
    page = org.get("/admin/competitions/demo")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    assert "ann-best" in html and "bob-try" in html and "smoke step 1 ok" in html
    assert "hidden-run stderr: warning about pair p07" in html  # the hidden run's log: organizers only
    assert 'data-audit="configure"' in html and "cli:olga" in html
    assert re.search(r"<span class=\"badge\">board</span>", html)


def test_moderation_needs_csrf_then_confirmation_and_is_scoped(app, world, organized):
    lead, elsewhere = organized
    s = world["session"]
    org = app.test_client()
    login_as(org, "org")
    url = f"/admin/competitions/demo/submissions/{lead.id}/disqualify"
    assert org.post(url, data={"reason": "copied"}).status_code == 400  # no CSRF token
    token = csrf_token(org.get("/admin/competitions/demo").get_data(as_text=True))
    confirm = org.post(url, data={"reason": "copied the style image", "csrf_token": token})
    body = confirm.get_data(as_text=True)
    assert confirm.status_code == 200 and 'data-confirm="disqualify"' in body
    assert "ann" in body and "ann-best" in body and "<dd>1</dd>" in body  # participant, label, current rank
    s.expire_all()
    assert s.get(Submission, lead.id).status is SubmissionStatus.SCORED  # nothing changed yet
    done = org.post(url, data={"reason": "copied the style image", "csrf_token": token, "confirm": "yes"})
    assert done.status_code == 303
    s.expire_all()
    assert s.get(Submission, lead.id).disqualified_reason == "copied the style image"
    entry = s.query(AuditEntry).filter_by(action="disqualify").one()
    assert entry.actor == "web:org" and entry.details["rank_before"] == 1
    wrong = org.post(f"/admin/competitions/demo/submissions/{elsewhere.id}/disqualify",
                     data={"reason": "typo", "csrf_token": token, "confirm": "yes"}, follow_redirects=True)
    assert "belongs to &#39;other&#39;, not &#39;demo&#39;" in wrong.get_data(as_text=True)
    s.expire_all()
    assert s.get(Submission, elsewhere.id).status is SubmissionStatus.SCORED


def test_screenshots_at_desktop_and_phone_width(settings, world, organized, artifacts_dir):
    from playwright.sync_api import sync_playwright

    from arena import create_app

    chromium = Path("/usr/bin/chromium")
    if not chromium.exists():
        pytest.fail("/usr/bin/chromium is missing: apt-get install -y chromium")
    server = make_server("127.0.0.1", 0, create_app(settings), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_port}"
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=str(chromium), headless=True,
                                         args=["--no-sandbox", "--disable-gpu"])
            page = browser.new_context(viewport=DESKTOP).new_page()
            page.goto(base + "/login")
            page.fill("input[name=username]", "org")
            page.fill("input[name=password]", PASSWORD)
            page.click("button[type=submit]")
            page.goto(base + "/admin/competitions/demo")
            assert page.locator("tr[data-submission]").count() == 2
            page.screenshot(path=str(artifacts_dir / "organizer-page-desktop.png"), full_page=True)
            page.set_viewport_size(PHONE)
            page.screenshot(path=str(artifacts_dir / "organizer-page-phone.png"), full_page=True)
            # The phone layout keeps the page inside the viewport (tables scroll inside their card).
            assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"] + 1
            browser.close()
    finally:
        server.shutdown()
        thread.join(timeout=10)
