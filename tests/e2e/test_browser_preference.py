"""The preference arena in Chromium: a vote, the re-rating job on a real RQ worker, both boards and τ."""
from __future__ import annotations

import pytest
import redis
from rq import Queue, SimpleWorker

from arena.core.models import PreferenceSummary
from arena.services.preference.seed import seed_demo_votes
from e2e_helpers import shoot
from preference_seed import arena_world
from webseed import PASSWORD, make_user

pytestmark = pytest.mark.browser


def test_vote_then_both_boards_with_tau(page, live_server, db_session, settings, artifacts_dir, tmp_path,
                                        monkeypatch):
    competition, subs = arena_world(db_session, settings, tmp_path, entries=5, slug="arena-2026")
    summary = seed_demo_votes(db_session, settings, competition, voters=30, votes_each=6)
    make_user(db_session, "visitor")
    db_session.commit()
    seeded = summary.valid_votes
    assert seeded > 100 and summary.tau is not None

    page.goto(f"{live_server}/competitions/arena-2026/arena")
    assert "/login" in page.url  # voting needs an account
    page.fill("input[name=username]", "visitor")
    page.fill("input[name=password]", PASSWORD)
    page.click("form button[type=submit]")
    page.goto(f"{live_server}/competitions/arena-2026/arena")
    assert page.locator("[data-match]").count() == 1
    # Wait for both outputs to load (sampling once races the image requests on a loaded machine).
    page.wait_for_function(
        "() => [...document.querySelectorAll('.vote-img img')].every(i => i.complete && i.naturalWidth > 0)",
        timeout=15_000,
    )
    assert "artist" not in page.content()  # anonymous outputs
    shoot(page, artifacts_dir, "arena-vote")

    page.click("button[value=a]")
    assert "your vote counts" in page.locator(".flash").inner_text()
    # The vote enqueued a re-rating; a real worker (with this test's settings) runs it.
    for key, value in settings.to_env().items():
        monkeypatch.setenv(key, value)
    conn = redis.Redis.from_url(settings.redis_url)
    worker = SimpleWorker([Queue(settings.queue_name, connection=conn)], connection=conn)
    assert worker.work(burst=True)
    db_session.expire_all()
    assert db_session.get(PreferenceSummary, competition.id).valid_votes == seeded + 1

    page.goto(f"{live_server}/competitions/arena-2026/human-board")
    human = page.locator("[data-board=human] tbody tr")
    assert human.count() == 5 and page.locator("[data-board=automatic] tbody tr").count() == 5
    tau = float(page.locator("[data-tau]").get_attribute("data-tau"))
    assert -1.0 <= tau <= 1.0 and "votes" in page.locator("[data-agreement]").inner_text()
    shoot(page, artifacts_dir, "arena-boards")

    page.goto(f"{live_server}/competitions/arena-2026")
    assert page.locator("[data-agreement] [data-tau]").count() == 1
    shoot(page, artifacts_dir, "arena-competition")
