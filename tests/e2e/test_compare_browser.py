"""Select two rows of the board -> the compare view with its before/after slider, in Chromium."""
from __future__ import annotations

import pytest
from e2e_helpers import PHONE, shoot
from efficiency_seed import seed_competition

pytestmark = pytest.mark.browser


def test_select_two_rows_then_compare_with_the_slider(page, live_server, db_session, settings, tmp_path, artifacts_dir):
    comp, subs = seed_competition(db_session, settings, tmp_path)
    page.goto(f"{live_server}/competitions/{comp.slug}/leaderboard")
    button = page.locator("#compare-form button")
    assert button.is_disabled()
    page.locator(f"input[form=compare-form][value='{subs['adain'].id}']").check()
    page.locator(f"input[form=compare-form][value='{subs['organizers'].id}']").check()
    # A third tick is refused while two are chosen.
    assert page.locator(f"input[form=compare-form][value='{subs['bulky'].id}']").is_disabled()
    assert button.is_enabled()
    button.click()
    page.wait_for_url(f"**/competitions/{comp.slug}/compare?s=*")
    assert page.locator(".compare-pair").count() == 4
    assert page.locator("[data-side=a] h2").inner_text().endswith("adain-v2")
    # Every image loads (outputs of both sides, and the dev set's content and style). The
    # content and style images are lazy, so they arrive after the page's load event: wait for
    # them (a broken image never gets a naturalWidth, so this still fails on one) rather than
    # sampling once, which raced the last requests on a loaded CI machine.
    page.evaluate("() => window.scrollTo(0, document.body.scrollHeight)")
    page.wait_for_function(
        "() => [...document.images].every(i => i.complete && i.naturalWidth > 0)", timeout=15_000
    )
    # The slider wipes: at 20 % only a fifth of A shows over B.
    first = page.locator(".compare-pair").first
    first.locator("input.ba-range").fill("20")
    clip = first.locator(".ba-top").evaluate("e => getComputedStyle(e).clipPath")
    assert "80%" in clip, clip
    line = first.locator(".ba-line").bounding_box()
    box = first.locator(".ba").bounding_box()
    assert abs((line["x"] - box["x"]) / box["width"] - 0.2) < 0.03
    assert first.locator("td.better").count() >= 1
    page.evaluate("() => window.scrollTo(0, 0)")
    shoot(page, artifacts_dir, "compare-view")
    page.set_viewport_size(PHONE)
    assert page.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"]
    # On a phone the slider's image spans the card, not a sliver of it.
    assert first.locator(".ba").bounding_box()["width"] > 250

    page.goto(f"{live_server}/submissions/{subs['adain'].id}")
    assert page.locator(".triplet[data-pair]").count() == 4
    assert page.locator("#efficiency [data-cost=latency] b").inner_text() == "40.0 ms"
    shoot(page, artifacts_dir, "submission-cost-and-triplets")
    page.goto(f"{live_server}/competitions/{comp.slug}/leaderboard?cost=1")
    shoot(page, artifacts_dir, "leaderboard-cost-columns")
