"""The rules page in Chromium: read the rules, get refused at the submit page, accept once, upload."""
from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from arena.core.models import RulesAcceptance, Submission
from arena.services.rules import rules_sha256
from e2e_helpers import shoot
from webfixtures import torchscript_file  # noqa: F401  (fixture)
from webseed import PASSWORD, make_competition, make_user

pytestmark = pytest.mark.browser

RULES = """## Who may take part

Anyone with an account. **One account per person**; teams are not supported yet.

## What you may upload

1. A generator you trained yourself, or a public model you name in the notes.
2. At most five uploads a day (failed smoke runs are free).

## What is not allowed

- Looking for the hidden images, or training on them.
- Sharing code privately with another participant.

See the [participant guide](/competitions/rules-2026/guide) for the limits. Questions: `organizers@example.org`.

<script>document.body.innerHTML = "pwned"</script>
<b onmouseover="document.body.innerHTML='pwned'">Be fair.</b>
"""


@pytest.fixture
def competition(db_session):
    comp = make_competition(db_session, "rules-2026", title="Rules 2026",
                            description="Stylize photos; read the rules before your first upload.", rules=RULES)
    make_user(db_session, "reader")
    db_session.commit()
    return comp


def _log_in(page, live_server) -> None:
    page.goto(live_server + "/login")
    page.fill("#username", "reader")
    page.fill("#password", PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(live_server + "/")


def test_read_refused_accept_and_upload(page, live_server, db_session, competition, torchscript_file, artifacts_dir):
    # A visitor reads the rules from the competition page; the hostile part ran nothing.
    page.goto(live_server + "/competitions/rules-2026")
    page.get_by_role("link", name="Read the rules →").click()
    page.wait_for_url(live_server + "/competitions/rules-2026/rules")
    assert page.locator("#rules-text h2").first.inner_text() == "Who may take part"
    assert page.locator("#rules-text ol li").count() == 2 and "pwned" not in page.locator("body").inner_text()
    assert page.locator("#rules-text script").count() == 0 and page.locator("#rules-text [onmouseover]").count() == 0
    assert page.get_by_role("link", name="Log in to accept").is_visible()
    shoot(page, artifacts_dir, "rules-page")

    # Signed in, the submit page refuses the upload and points at the rules.
    _log_in(page, live_server)
    page.goto(live_server + "/competitions/rules-2026/submit")
    assert page.locator("#submit-why").get_attribute("data-reason") == "rules_not_accepted"
    assert page.get_by_role("button", name="Upload and queue").is_disabled()
    shoot(page, artifacts_dir, "rules-submit-refused")
    page.get_by_role("link", name="Read and accept the rules").click()
    page.wait_for_url(re.compile(r"/competitions/rules-2026/rules\?next=submit$"))
    assert page.locator("#rules-accept").get_attribute("data-accepted") == "no"
    shoot(page, artifacts_dir, "rules-accept-step")

    # Accepting once records the version and the time, and the upload goes through.
    page.get_by_role("button", name="I accept the rules").click()
    page.wait_for_url(live_server + "/competitions/rules-2026/submit")
    assert "You accepted the rules" in page.locator(".flash-success").inner_text()
    row = db_session.scalar(sa.select(RulesAcceptance))
    assert row is not None and row.rules_sha256 == rules_sha256(RULES) and row.accepted_at is not None
    assert page.get_by_role("button", name="Upload and queue").is_enabled()
    page.set_input_files("#generator", str(torchscript_file))
    page.fill("#label", "rule-abiding v1")
    page.get_by_role("button", name="Upload and queue").click()
    page.wait_for_url(re.compile(r"/me/submissions/\d+$"))
    assert db_session.scalar(sa.select(sa.func.count(Submission.id))) == 1

    page.goto(live_server + "/competitions/rules-2026/rules")
    assert page.locator("#rules-accept").get_attribute("data-accepted") == "current"
    shoot(page, artifacts_dir, "rules-accepted")
    page.goto(live_server + "/competitions/rules-2026")
    assert "You accepted the rules on" in page.locator("#rules-card").inner_text()
    shoot(page, artifacts_dir, "rules-competition-card")
