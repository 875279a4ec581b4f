"""The per-style heatmap, a per-style board and a submission's per-style section in Chromium.

Screenshots at desktop and phone widths; at 390 px the heatmap scrolls inside its container
with the entry column pinned, and the page itself never scrolls sideways.
"""
from __future__ import annotations

import numpy as np
import pytest

from arena.services.publishing import publish
from evaluator.metrics.per_style_sets import SetStatus, SetValue, StyleSets, to_json
from datasets_helpers import make_dataset
from e2e_helpers import PHONE, shoot
from webseed import add_scored, full_scores, make_competition, make_user

pytestmark = pytest.mark.browser
N_CONTENT, N_STYLE = 4, 8
ENTRANTS = [("monet", 0.31), ("vangogh", 0.34), ("hokusai", 0.36), ("kahlo", 0.40), ("klimt", 0.43),
            ("basquiat", 0.47), ("a-participant-with-a-long-name", 0.52)]


def _per_pair(level: float, seed: int) -> dict[str, dict[str, float]]:
    rng = np.random.default_rng(seed)
    style_bias = rng.normal(0, 0.06, N_STYLE)  # each entrant has styles it is better and worse at
    return {f"p{ci}{si}": {"lpips": float(level + style_bias[si] + rng.normal(0, 0.02)),
                           "content_loss": float(1 + 3 * level + rng.normal(0, 0.05)),
                           "style_loss": float(2 - level + rng.normal(0, 0.05))}
            for ci in range(N_CONTENT) for si in range(N_STYLE)}


@pytest.fixture
def styled(db_session, settings, tmp_path):
    hidden = publish(db_session, settings, make_dataset(
        tmp_path / "hid", name="styles-hidden", split="hidden", n_content=N_CONTENT, n_style=N_STYLE, seed=9,
        references_per_style=3), reference_stats=None).version
    comp = make_competition(db_session, "styles-2026", hidden_dataset=hidden, title="Stylize 2026",
                            description="Eight styles.")
    subs = {}
    for i, (name, level) in enumerate(ENTRANTS + [("organizers", 0.45)]):
        sub = add_scored(db_session, comp, make_user(db_session, name), full_scores(40 + 60 * level, lpips=level), i,
                         label=f"{name}-net", is_baseline=name == "organizers")
        sub.evaluations[0].per_pair = _per_pair(level, i)
        subs[name] = sub
    db_session.commit()
    return comp, subs


def test_heatmap_board_and_submission_section(page, live_server, styled, artifacts_dir, db_session):
    comp, subs = styled
    page.goto(f"{live_server}/competitions/{comp.slug}")
    page.get_by_role("link", name="By style").click()
    assert page.url.endswith(f"/competitions/{comp.slug}/styles")
    heat = page.locator("table.heat")
    assert heat.locator("tbody tr").count() == len(ENTRANTS) + 1
    assert heat.locator("thead th a").all_text_contents() == [f"style {i}" for i in range(1, N_STYLE + 1)]
    # Every style column has exactly one best (heat-0) and one worst (heat-4) participant cell.
    for col in range(N_STYLE):
        classes = [c.get_attribute("class") for c in heat.locator(f"tbody tr td:nth-of-type({col + 1})").all()]
        assert sum("heat-0" in c for c in classes) == 1 and sum("heat-4" in c for c in classes) == 1, classes
    # The page's stylesheet applied (CSP allows only 'self'): best cells are dark teal.
    assert page.locator("td.heat-0").first.evaluate("e => getComputedStyle(e).backgroundColor") == "rgb(15, 118, 110)"
    shoot(page, artifacts_dir, "per-style-heatmap")

    page.set_viewport_size(PHONE)
    geometry = page.evaluate("""() => { const box = document.querySelector('.heat-scroll');
        const before = document.querySelector('.heat tbody .heat-who').getBoundingClientRect().left;
        box.scrollLeft = 400;
        const after = document.querySelector('.heat tbody .heat-who').getBoundingClientRect().left;
        return {scrollable: box.scrollWidth > box.clientWidth, moved: box.scrollLeft,
                before, after, page: document.documentElement.scrollWidth}; }""")
    assert geometry["scrollable"] and geometry["moved"] > 0, geometry
    assert geometry["before"] == geometry["after"], geometry  # the entry column stays pinned
    assert geometry["page"] <= PHONE["width"], geometry  # only the table scrolls sideways
    page.evaluate("() => { document.querySelector('.heat-scroll').scrollLeft = 0; }")
    page.set_viewport_size({"width": 1280, "height": 800})

    # Pick a style in the menu: its board, ranked by that style's mean.
    page.select_option("#style-select", "3")
    page.wait_for_url(f"**/competitions/{comp.slug}/styles/3?metric=lpips")
    assert page.locator("h1").inner_text() == "style 3"
    ranks = page.locator("table.per-style-table tbody .rank").all_inner_texts()
    assert ranks.count("ref") == 1 and sorted(r for r in ranks if r != "ref") == [str(i) for i in range(1, len(ENTRANTS) + 1)]
    means = [float(t.split("±")[0]) for t in page.locator("table.per-style-table tbody td.sorted").all_inner_texts()]
    assert means == sorted(means)
    page.get_by_role("link", name="Content loss").click()
    assert page.locator("table.per-style-table").get_attribute("data-metric") == "content_loss"
    shoot(page, artifacts_dir, "per-style-board")

    # Per-style FID/KID as the worker stores them: one style with enough references, one
    # below the threshold; the section shows both columns, and on a phone the table scrolls
    # inside its card (the FID/KID columns are reached by scrolling it) while the page does not.
    evaluation = subs["monet"].evaluations[0]
    evaluation.provenance = {**(evaluation.provenance or {}), "per_style_sets": to_json({
        "s0.png": StyleSets(120, 150, SetValue(42.125, SetStatus.OK), SetValue(0.0375, SetStatus.OK)),
        "s1.png": StyleSets(30, 2, SetValue(None, SetStatus.FEW_REFERENCES), SetValue(None, SetStatus.FEW_REFERENCES)),
    })}
    db_session.commit()
    page.goto(f"{live_server}/submissions/{subs['monet'].id}")
    section = page.locator('[data-section="per-style"]')
    assert section.locator("tbody tr").count() == N_STYLE
    assert "±" in section.locator("tbody tr").first.inner_text()
    first_fid = section.locator('tbody tr[data-style="1"] [data-set="fid"]')
    assert first_fid.inner_text().strip().startswith("42.1"), first_fid.inner_text()
    assert "not enough references" in section.locator('tbody tr[data-style="2"] [data-set="fid"]').inner_text()
    shoot(page, artifacts_dir, "per-style-submission")
    page.set_viewport_size(PHONE)
    assert page.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"]
    scroll = section.locator(".table-scroll").evaluate("e => ({sw: e.scrollWidth, cw: e.clientWidth})")
    assert scroll["sw"] > scroll["cw"], scroll


def test_style_board_pages(page, live_server, styled, artifacts_dir, monkeypatch):
    from arena.web.public import per_style as views

    comp, subs = styled
    monkeypatch.setattr(views, "ROWS_PER_PAGE", 3)  # eight entries: three pages
    page.goto(f"{live_server}/competitions/{comp.slug}/styles/2?metric=lpips")
    first = page.locator("table.per-style-table tbody tr").all_inner_texts()
    assert len(first) == 3 and "Page 1 of 3 · 8 entries" in page.locator("nav.pager").inner_text()
    page.get_by_role("link", name="Next →").click()
    page.wait_for_url("**page=2")
    second = page.locator("table.per-style-table tbody tr").all_inner_texts()
    assert len(second) == 3 and not set(first) & set(second)
    means = [float(t.split("±")[0]) for t in page.locator("table.per-style-table tbody td.sorted").all_inner_texts()]
    assert means == sorted(means)  # the style's order continues across pages
    shoot(page, artifacts_dir, "per-style-board-pages")
    page.set_viewport_size(PHONE)
    assert page.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"]
    assert page.locator("nav.pager").is_visible()
