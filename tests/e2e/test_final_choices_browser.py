"""Final submissions in Chromium: the participant's page, the toggle, a refusal (screenshots)."""
from __future__ import annotations

from datetime import timedelta

import pytest

from arena.core.enums import SubmissionStatus
from arena.core.models import utcnow
from e2e_helpers import shoot
from webseed import PASSWORD, add_scored, full_scores, make_competition, make_submission, make_user

pytestmark = pytest.mark.browser


def test_participant_chooses_final_submissions(page, live_server, db_session, artifacts_dir):
    s = db_session
    competition = make_competition(s, "finals-2026", title="Stylize 2026", ends_at=utcnow() + timedelta(days=5))
    ann = make_user(s, "ann")
    for minutes, (label, art_fid) in enumerate((("AdaIN baseline-ish", 48.2), ("StyTr2 fine-tune", 41.7),
                                                ("Blend v3", 44.0), ("Blend v4 (wider)", 43.1))):
        add_scored(s, competition, ann, full_scores(art_fid), minutes, label=label)
    make_submission(s, competition, ann, label="Blend v5 (queued)", status=SubmissionStatus.QUEUED)
    s.commit()

    page.goto(f"{live_server}/login")
    page.fill("#username", "ann")
    page.fill("#password", PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(live_server + "/")
    page.goto(f"{live_server}/me/submissions")
    summary = page.locator('[data-final-summary="finals-2026"]')
    assert "0 of 2 chosen" in summary.inner_text()
    assert "without a choice your best 2 by public-board score are taken on" in summary.inner_text()
    # The default picks are the two best ArtFIDs (lower is better).
    assert page.locator(".final-toggle:has-text('taken by default')").count() == 2
    shoot(page, artifacts_dir, "final-choices-default")

    def toggle(label: str):
        row = page.locator("tr", has_text=label)
        row.get_by_role("button").click()
        page.wait_for_load_state("load")

    toggle("Blend v3")
    toggle("AdaIN baseline-ish")
    assert "2 of 2 chosen" in page.locator('[data-final-summary="finals-2026"]').inner_text()
    assert page.locator(".badge-final").count() == 2 and "taken by default" not in page.content()
    toggle("Blend v4 (wider)")  # the third: refused with a message that says what to do
    flash = page.locator(".flash-error")
    assert "unmark one first" in flash.inner_text()
    assert page.locator(".badge-final").count() == 2
    shoot(page, artifacts_dir, "final-choices-refused")

    page.goto(f"{live_server}/me/submissions")
    page.locator("tr", has_text="Blend v3").get_by_role("link").first.click()
    assert page.locator("#final-choice .badge-final").count() == 1
    shoot(page, artifacts_dir, "final-choice-submission")
