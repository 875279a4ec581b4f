"""The phase timeline on the competition page in Chromium: phases, the open one, the end, a countdown
that degrades to the plain date without JavaScript; desktop and phone screenshots."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest

from arena.core.models import utcnow
from arena.services import phases
from arena.services.phases import PhaseChanges
from e2e_helpers import DESKTOP, PHONE, shoot
from webseed import make_competition

pytestmark = pytest.mark.browser


@pytest.fixture
def competition(db_session):
    now = utcnow()
    comp = make_competition(db_session, "phased-2027", title="Phased Cup 2027", timezone="Europe/Paris",
                            description="Three phases: a warm-up, development on the public split, then the test.",
                            starts_at=now - timedelta(days=10), ends_at=now + timedelta(days=20))
    phases.add_phase(db_session, comp, "warm-up", PhaseChanges(ends_at=now - timedelta(days=6), daily_quota=10))
    phases.add_phase(db_session, comp, "development", PhaseChanges(starts_at=now - timedelta(days=5),
                                                                   ends_at=now + timedelta(days=2, hours=3)))
    phases.add_phase(db_session, comp, "test", PhaseChanges(starts_at=now + timedelta(days=3), daily_quota=2))
    db_session.commit()
    return comp


def test_timeline_shows_the_phases_the_open_one_and_a_countdown(page, browser, live_server, competition,
                                                                artifacts_dir):
    page.goto(live_server + "/competitions/phased-2027")
    timeline = page.locator("#timeline")
    names = timeline.locator(".tl-phase b").all_inner_texts()
    assert names == ["warm-up", "development", "test"]
    states = [timeline.locator(".tl-phase").nth(i).get_attribute("data-state") for i in range(3)]
    assert states == ["past", "open", "upcoming"]
    assert timeline.locator(".tl-current .badge").inner_text().lower() == "open now"
    assert "The competition ends" in timeline.locator(".tl-end").inner_text()
    assert "Europe/Paris" in timeline.locator(".tl-end").inner_text()
    # The next boundary is the development phase's end, in 2 days 3 hours: the script counts down.
    countdown = timeline.locator("[data-countdown-text]")
    assert re.fullmatch(r"in 2 d [23] h", countdown.inner_text()), countdown.inner_text()
    assert "\u201cdevelopment\u201d closes" in timeline.locator(".tl-next").inner_text()
    assert "10 uploads a day" in timeline.inner_text() and "2 uploads a day" in timeline.inner_text()

    shoot(page, artifacts_dir, "timeline-page")
    for name, size in (("desktop", DESKTOP), ("phone", PHONE)):
        page.set_viewport_size(size)
        timeline.scroll_into_view_if_needed()
        timeline.screenshot(path=str(artifacts_dir / f"timeline-{name}.png"))
        # Readable at phone width: nothing pushes the page wider than the screen.
        assert page.evaluate("document.documentElement.scrollWidth") <= size["width"]
        box = timeline.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= size["width"]

    # Without JavaScript the plain date stays and no countdown appears.
    context = browser.new_context(viewport=PHONE, java_script_enabled=False)
    try:
        plain = context.new_page()
        plain.goto(live_server + "/competitions/phased-2027")
        next_line = plain.locator("#timeline .tl-next")
        assert plain.locator("[data-countdown-text]").count() == 0
        assert re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d Europe/Paris", next_line.inner_text())
        plain.locator("#timeline").screenshot(path=str(artifacts_dir / "timeline-phone-nojs.png"))
    finally:
        context.close()
