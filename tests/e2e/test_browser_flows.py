"""Browser flows in headless Chromium: register → submit → queued; leaderboard sorting; polling."""
from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from arena.core.enums import SubmissionStatus
from arena.core.models import Submission
from e2e_helpers import shoot
from webfixtures import torchscript_file  # noqa: F401  (fixture)
from webseed import add_scored, full_scores, make_competition, make_user

pytestmark = pytest.mark.browser


@pytest.fixture
def competition(db_session):
    comp = make_competition(
        db_session, "stylize-2026", title="Stylize 2026",
        description="## Turn photos into paintings\nScored on a **hidden** benchmark of 8 content × 8 style pairs.\n\n"
                    "- Upload a TorchScript `.pt` or a `.zip` package\n- Lower is better for every metric",
        rules="One account per team. Five uploads per day.",
    )
    db_session.commit()
    return comp


def test_register_submit_and_see_it_queued(page, live_server, competition, torchscript_file, artifacts_dir):
    page.goto(live_server + "/")
    page.get_by_role("link", name="Sign up").click()
    page.fill("#username", "painter")
    page.fill("#password", "a-long-password")
    page.fill("#confirm", "a-long-password")
    page.get_by_role("button", name="Sign up").click()
    page.wait_for_url(live_server + "/")
    assert page.locator(".flash-success").inner_text().startswith("Welcome, painter")

    page.get_by_role("link", name=re.compile("Stylize 2026")).click()
    page.get_by_role("link", name="Submit a generator").click()
    # The competition has rules: the first upload waits for them to be accepted (once).
    page.get_by_role("link", name="Read and accept the rules").click()
    page.get_by_role("button", name="I accept the rules").click()
    page.wait_for_url(re.compile(r"/competitions/stylize-2026/submit$"))
    page.set_input_files("#generator", str(torchscript_file))
    page.fill("#label", "AdaIN-lite v1")
    shoot(page, artifacts_dir, "submit-page")
    page.get_by_role("button", name="Upload and queue").click()
    page.wait_for_url(re.compile(r"/me/submissions/\d+$"))
    assert page.locator("#status-badge .badge").inner_text().lower() == "queued"
    assert "AdaIN-lite v1" in page.locator("h1").inner_text()
    shoot(page, artifacts_dir, "submission-queued")


def test_status_updates_without_reload(page, live_server, db_session, competition, artifacts_dir):
    from webseed import PASSWORD, make_submission

    user = make_user(db_session, "waiter")
    sub = make_submission(db_session, competition, user, label="watch me")
    db_session.commit()
    page.goto(live_server + "/login")
    page.fill("#username", "waiter")
    page.fill("#password", PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.goto(f"{live_server}/me/submissions/{sub.id}")
    assert page.locator("#status-badge .badge").inner_text().lower() == "queued"
    db_session.execute(sa.update(Submission).where(Submission.id == sub.id).values(status=SubmissionStatus.RUNNING))
    db_session.commit()
    page.wait_for_selector("#status-badge .badge[data-status='running']")
    db_session.execute(sa.update(Submission).where(Submission.id == sub.id).values(
        status=SubmissionStatus.FAILED, error_code="generator_crashed", error_message="Your generator raised an error."))
    db_session.commit()
    page.wait_for_selector(".error-box")  # the poller reloads the page once the status is final
    assert "generator_crashed" in page.locator(".error-box").inner_text()


def test_leaderboard_sorting_and_screenshots(page, live_server, db_session, competition, artifacts_dir):
    names = ["monet", "vangogh", "hokusai", "kahlo", "klimt", "basquiat"]
    org = make_user(db_session, "organizers")
    lpips = [0.6, 0.3, 0.5, 0.2, 0.4, 0.35]
    for i, name in enumerate(names):
        user = make_user(db_session, name)
        add_scored(db_session, competition, user,
                   full_scores(20.0 + 3 * i, lpips=lpips[i], fid=10.0 + 2 * i),
                   i, label=f"{name}-style-net v{i + 1}", calibrated=i != 4)
    add_scored(db_session, competition, org, full_scores(24.5, lpips=0.42), 20, label="AdaIN baseline", is_baseline=True)
    add_scored(db_session, competition, make_user(db_session, "twin"), full_scores(23.0), 21, label="tie with vangogh")
    db_session.commit()

    page.goto(f"{live_server}/competitions/{competition.slug}/leaderboard")
    by_art_fid = page.locator("table.board tbody tr .who-name").all_inner_texts()
    assert by_art_fid[:3] == ["monet", "vangogh", "twin"]
    ranks = page.locator("table.board tbody tr .rank").all_inner_texts()
    # Equal ArtFID shares a rank, earlier first; the baseline sits in place as an unranked "ref" line.
    assert ranks[:5] == ["1", "2", "2", "ref", "4"]
    assert page.locator(".badge-baseline").count() == 1 and page.locator("table.board .flag").count() == 1
    assert page.locator('[data-note="uncalibrated"]').count() == 1  # the one sentence saying what the flag means
    shoot(page, artifacts_dir, "leaderboard")

    page.select_option("#metric-select", "lpips")
    page.wait_for_url(re.compile(r"metric=lpips"))
    by_lpips = page.locator("table.board tbody tr .who-name").all_inner_texts()
    assert by_lpips == ["kahlo", "vangogh", "basquiat", "klimt", "organizers", "hokusai", "twin", "monet"]
    values = [float(v) for v in page.locator("table.board tbody td.sorted").all_inner_texts()]
    assert values == sorted(values)
    assert page.locator("th.sorted").inner_text().startswith("LPIPS")

    page.goto(f"{live_server}/competitions/{competition.slug}")
    shoot(page, artifacts_dir, "competition")
    page.goto(live_server + "/")
    shoot(page, artifacts_dir, "index")
    first = db_session.scalar(sa.select(Submission).order_by(Submission.id))
    page.goto(f"{live_server}/submissions/{first.id}")
    shoot(page, artifacts_dir, "submission-public")
