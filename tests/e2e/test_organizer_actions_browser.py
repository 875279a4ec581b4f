"""The organizer page in Chromium: its buttons, the switch's and a disqualification's confirmation
steps, and the live refresh of the rescore progress (screenshots at desktop and phone widths)."""
from __future__ import annotations

import pytest

from arena.core.enums import EvaluationStatus, SubmissionStatus, UserRole
from arena.core.models import Competition, Evaluation, Submission
from e2e_helpers import PHONE, shoot
from webseed import PASSWORD, add_scored, full_scores, make_user

pytestmark = pytest.mark.browser


def _publish_hidden(settings, session, root, seed):
    from datasets_helpers import make_dataset as make_files
    from arena.services.publishing import publish

    return publish(session, settings, make_files(root, name=f"hidden-{seed}", split=None, seed=seed),
                   split="hidden", reference_stats=None).version


@pytest.fixture
def spring(settings, db_session, tmp_path):
    """A live board of three, a staged hidden version with one run scored and one queued there."""
    s = db_session
    old = _publish_hidden(settings, s, tmp_path / "h1", seed=31)
    new = _publish_hidden(settings, s, tmp_path / "h2", seed=32)
    comp = Competition(slug="spring", title="Spring Stylize 2026", hidden_dataset=old, scorer_version="s1",
                       staged_hidden_dataset=new)
    s.add(comp)
    s.flush()
    make_user(s, "olga", role=UserRole.ORGANIZER)
    subs = [add_scored(s, comp, make_user(s, name), full_scores(art), minutes=i, label=label,
                       public_log=f"smoke run of {label}: ok\n")
            for i, (name, label, art) in enumerate((("ann", "AdaIN fine-tune", 41.7), ("bob", "StyTr2 v2", 44.0),
                                                    ("cid", "Blend v4 (wider)", 48.2)))]
    s.add(Evaluation(submission=subs[0], dataset_version_id=new.id, scorer_version="s1",
                     status=EvaluationStatus.SCORED))
    queued = Evaluation(submission=subs[1], dataset_version_id=new.id, scorer_version="s1",
                        status=EvaluationStatus.QUEUED)
    s.add(queued)
    s.commit()
    return comp, new, subs, queued


def _login(page, base):
    page.goto(f"{base}/login")
    page.fill("#username", "olga")
    page.fill("#password", PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(base + "/")


def _fits_phone(page) -> bool:
    page.set_viewport_size(PHONE)
    fits = page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"] + 1
    page.set_viewport_size({"width": 1280, "height": 800})
    return fits


def test_organizer_buttons_confirmations_and_live_progress(page, live_server, db_session, spring, artifacts_dir):
    comp, new, subs, queued = spring
    page.set_default_timeout(30_000)  # the switch reads both versions' images for the leak check: slow on a busy host
    _login(page, live_server)
    page.goto(f"{live_server}/admin/competitions/spring")
    staged = page.locator(f'tr[data-target="{new.id}-s1"]')
    assert staged.get_by_role("button", name="Switch board…").is_visible()
    assert page.locator("tr[data-submission] button", has_text="Disqualify…").count() == 3
    page.locator(".progress-live", has_text="updating live").wait_for()  # bob's run is queued: polling
    assert _fits_phone(page)
    shoot(page, artifacts_dir, "organizer-actions-page")

    # The switch: the confirmation names the count and check_switch's refusal; only force goes on.
    staged.get_by_role("button", name="Switch board…").click()
    confirm = page.locator('[data-confirm="switch"]')
    assert "2 (1 queued, 0 running, 1 never evaluated)" in confirm.inner_text()
    assert "Not switched: 2 of 3 eligible submission(s)" in confirm.locator("[data-refusal]").inner_text()
    assert _fits_phone(page)
    shoot(page, artifacts_dir, "organizer-switch-confirm")
    page.get_by_role("link", name="Cancel").click()

    # Disqualify with a reason: the confirmation names participant, label and current rank.
    row = page.locator(f'tr[data-submission="{subs[2].id}"]')
    row.locator("input[name=reason]").fill("The weights are another team's published checkpoint.")
    row.get_by_role("button", name="Disqualify…").click()
    confirm = page.locator('[data-confirm="disqualify"]')
    text = confirm.inner_text()
    assert "cid" in text and "Blend v4 (wider)" in text and "another team's published checkpoint" in text
    assert _fits_phone(page)
    shoot(page, artifacts_dir, "organizer-disqualify-confirm")
    page.get_by_role("button", name="Yes, disqualify").click()
    assert "Disqualified submission" in page.locator(".flash-success").inner_text()
    assert page.locator(f'tr[data-submission="{subs[2].id}"] button', has_text="Reinstate…").is_visible()
    assert page.locator('tr[data-audit="disqualify"]', has_text="web:olga").count() == 1

    # Live refresh: the queued run finishes behind the page's back; the counts follow without a reload.
    db_session.get(Evaluation, queued.id).status = EvaluationStatus.SCORED
    db_session.commit()
    page.locator(f'tr[data-target="{new.id}-s1"] td[data-col="queued"]', has_text="0").wait_for(timeout=15_000)
    assert page.locator(f'tr[data-target="{new.id}-s1"] td[data-col="scored"]').inner_text() == "2"
    page.locator(".progress-live", has_text="finished: reload").wait_for()
    shoot(page, artifacts_dir, "organizer-actions-after")

    # cid is disqualified and bob scored: every eligible run is finished there, so no force is needed.
    page.reload()
    page.locator(f'tr[data-target="{new.id}-s1"]').get_by_role("button", name="Switch board…").click()
    page.get_by_role("button", name="Yes, switch the board").click()
    assert "now ranks by dataset version" in page.locator(".flash-success").inner_text()
    db_session.expire_all()
    assert db_session.get(Competition, comp.id).hidden_dataset_id == new.id
    assert db_session.get(Submission, subs[2].id).status is SubmissionStatus.DISQUALIFIED


def test_without_javascript_the_progress_card_keeps_a_reload_link(browser, live_server, db_session, spring,
                                                                 artifacts_dir):
    comp, new, subs, queued = spring
    context = browser.new_context(viewport={"width": 1280, "height": 800}, java_script_enabled=False)
    page = context.new_page()
    page.set_default_timeout(30_000)
    try:
        _login(page, live_server)
        page.goto(f"{live_server}/admin/competitions/spring")
        assert page.locator(".progress-live").is_hidden()  # nothing claims to update live
        cell = page.locator(f'tr[data-target="{new.id}-s1"] td[data-col="queued"]')
        assert cell.inner_text() == "1"
        db_session.get(Evaluation, queued.id).status = EvaluationStatus.SCORED
        db_session.commit()
        page.get_by_role("link", name="Reload").click()
        assert cell.inner_text() == "0"
        # The buttons are plain forms: the confirmation step works without a script too.
        page.locator(f'tr[data-target="{new.id}-s1"]').get_by_role("button", name="Switch board…").click()
        assert page.locator('[data-confirm="switch"]').is_visible()
    finally:
        context.close()
