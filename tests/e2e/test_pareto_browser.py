"""The quality-vs-speed plot on the competition page in Chromium: desktop and phone screenshots."""
from __future__ import annotations

import pytest
from e2e_helpers import DESKTOP, PHONE, shoot
from efficiency_seed import seed_competition

pytestmark = pytest.mark.browser


def test_pareto_plot_at_desktop_and_phone_widths(page, live_server, db_session, settings, tmp_path, artifacts_dir):
    comp, subs = seed_competition(db_session, settings, tmp_path)
    page.goto(f"{live_server}/competitions/{comp.slug}")
    page.locator("#pareto").scroll_into_view_if_needed()
    wide = page.locator("svg.pareto-svg.wide")
    assert wide.is_visible() and not page.locator("svg.pareto-svg.narrow").is_visible()
    # Four entries on the front, joined by one path, each labelled; the CSS applied (CSP allows 'self').
    assert wide.locator("g.pt.on-front").count() == 4 and wide.locator("path.front").count() == 1
    assert wide.locator("g.pt.on-front text.lbl").count() == 4
    assert wide.locator("path.front").evaluate("e => getComputedStyle(e).fill") == "none"
    labels = wide.locator("text.lbl").all_text_contents()
    assert any("gatys-iterative" in t for t in labels) and not any("bulky" in t for t in labels)
    # Labels stay inside the plot and do not overlap each other.
    boxes = wide.locator("text.lbl").evaluate_all("els => els.map(e => { const b = e.getBBox(); return [b.x, b.y, b.width, b.height]; })")
    width = float(wide.get_attribute("viewBox").split()[2])
    assert all(0 <= x and x + w <= width for x, _, w, _ in boxes), boxes
    for i, a in enumerate(boxes):
        for b in boxes[i + 1:]:
            assert a[0] + a[2] <= b[0] or b[0] + b[2] <= a[0] or a[1] + a[3] <= b[1] or b[1] + b[3] <= a[1], (a, b)
    page.locator("details.pareto-table summary").click()
    assert page.locator("details.pareto-table tbody tr").count() == 6
    page.locator("#pareto").screenshot(path=str(artifacts_dir / "pareto-plot-desktop.png"))

    page.set_viewport_size(PHONE)
    narrow = page.locator("svg.pareto-svg.narrow")
    assert narrow.is_visible() and not wide.is_visible()
    # Readable on a phone: tick text at least 9 CSS px tall, and nothing scrolls the page sideways.
    tick = narrow.locator("text.tick").first.evaluate("e => e.getBoundingClientRect().height")
    assert tick >= 9, tick
    assert page.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"]
    page.locator("#pareto").screenshot(path=str(artifacts_dir / "pareto-plot-phone.png"))
    page.set_viewport_size(DESKTOP)
    page.evaluate("() => window.scrollTo(0, 0)")  # else the sticky top bar lands mid-page in the full-page shot
    shoot(page, artifacts_dir, "pareto-competition-page")
