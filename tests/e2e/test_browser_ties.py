"""The board with intervals and tied ranks in Chromium, at desktop and phone widths (screenshots)."""
from __future__ import annotations

import numpy as np
import pytest
import sqlalchemy as sa

from arena.core.models import Score, ScoreReplicate
from e2e_helpers import shoot
from evaluator.statistics.board import rerank
from evaluator.statistics.ranking import basic_interval, encode
from webseed import add_scored, full_scores, make_competition, make_user

pytestmark = pytest.mark.browser
B = 400


def _entry(session, competition, name, values, spreads, minutes, seed, **fields):
    user = make_user(session, name)
    submission = add_scored(session, competition, user, full_scores(**values), minutes, label=f"{name}-net", **fields)
    evaluation_id = submission.evaluations[0].id
    rng = np.random.default_rng(seed)
    shared = rng.normal(0.0, 1.0, B)  # the same hard and easy resamples for every metric of the entry
    for metric, spread in spreads.items():
        score = session.scalars(sa.select(Score).where(Score.evaluation_id == evaluation_id,
                                                       Score.metric == metric)).one()
        draws = score.value + spread * (0.6 * shared + 0.8 * rng.normal(0.0, 1.0, B))
        score.ci_low, score.ci_high = basic_interval(score.value, draws)
        session.add(ScoreReplicate(evaluation_id=evaluation_id, metric=metric, resamples=B, data=encode(draws)))
    session.flush()


def test_board_with_intervals_and_ties(page, live_server, db_session, artifacts_dir):
    competition = make_competition(db_session, "ties-2026", title="Stylize 2026 (ties)",
                                   description="Ranks with 95 % intervals.")
    rows = [  # (name, ArtFID, FID, LPIPS): monet and vangogh within noise; hokusai and kahlo likewise
        ("monet", 41.2, 30.1, 0.33), ("vangogh", 41.9, 30.4, 0.35), ("hokusai", 48.5, 35.0, 0.36),
        ("kahlo", 49.0, 35.3, 0.37), ("klimt", 57.3, 41.0, 0.39), ("basquiat", 66.0, 48.2, 0.37),
    ]
    for i, (name, art_fid, fid, lpips) in enumerate(rows):
        _entry(db_session, competition, name, {"art_fid": art_fid, "fid": fid, "lpips": lpips},
               {"art_fid": 1.6, "fid": 1.2, "lpips": 0.012, "content_loss": 0.05, "style_loss": 0.08}, i, seed=i)
    _entry(db_session, competition, "organizers", {"art_fid": 52.0, "fid": 38.0, "lpips": 0.36},
           {"art_fid": 1.6, "fid": 1.2, "lpips": 0.012}, 20, seed=20, is_baseline=True)
    rerank(db_session, competition.id)
    db_session.commit()

    page.goto(f"{live_server}/competitions/{competition.slug}/leaderboard")
    names = page.locator("table.board tbody tr .who-name").all_inner_texts()
    ranks = page.locator("table.board tbody tr .rank").all_inner_texts()
    assert names[:2] == ["monet", "vangogh"]
    assert ranks[:2] == ["=1", "=1"] and "ref" in ranks  # a tie at the top; the baseline stays a reference line
    # Ranks 1 and 3 are both shared (=1, =1, =3, =3, 5, 6): no podium place is separated, so no medal.
    assert ranks == ["=1", "=1", "=3", "=3", "ref", "5", "6"], ranks
    assert page.locator('[data-medal="true"]').count() == 0 and page.locator(".board-legend").count() == 1
    tied = page.locator('[data-tied="true"]').first
    assert "not separated at 95 %" in tied.get_attribute("title")
    assert page.locator("td.sorted .ci").first.inner_text().strip() == "±3.1"  # two significant digits
    shoot(page, artifacts_dir, "leaderboard-ties")

    page.goto(f"{live_server}/competitions/{competition.slug}")
    # The top table fits its card at 1280 px: nothing wider than the card, or it scrolls inside it.
    widths = page.evaluate("""() => { const card = document.querySelector('.layout-2 .table-scroll');
        return [card.clientWidth, card.scrollWidth, card.getBoundingClientRect().right, window.innerWidth]; }""")
    assert widths[2] <= widths[3], widths  # the table's box ends inside the viewport
    shoot(page, artifacts_dir, "competition-ties")
