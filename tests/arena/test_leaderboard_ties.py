"""Stored ranks with ties on both databases: rerank writes them, the board, JSON and CSV serve them.

The replicates here are synthetic (a known spread per entry on shared resamples), so the
expected ties are known; tests/evaluator/test_statistics_board.py makes them by real scoring.
"""
from __future__ import annotations

import csv
import io
import json

import numpy as np
import pytest
import sqlalchemy as sa

from arena.core.models import BoardRank, Score, ScoreReplicate
from arena.services.leaderboard import RankState, leaderboard_rows
from arena.services.moderation import disqualify_submission, reinstate_submission
from evaluator.statistics.board import rerank
from evaluator.statistics.ranking import basic_interval, encode
from webfixtures import app, client, world  # noqa: F401  (fixtures)
from webseed import add_scored, full_scores, make_user

B = 400
METRIC = "art_fid"


def _entry(session, competition, user, point, seed, minutes, noise=1.0, **fields):
    """A scored submission whose ``METRIC`` has replicates of spread ``noise`` and its interval."""
    submission = add_scored(session, competition, user, full_scores(point), minutes, label=f"{user.username}-{minutes}",
                            **fields)
    evaluation = submission.evaluations[0]
    replicates = point + np.random.default_rng(seed).normal(0.0, noise, B)
    score = session.scalars(sa.select(Score).where(Score.evaluation_id == evaluation.id, Score.metric == METRIC)).one()
    score.ci_low, score.ci_high = basic_interval(point, replicates)
    session.add(ScoreReplicate(evaluation_id=evaluation.id, metric=METRIC, resamples=B, data=encode(replicates)))
    session.flush()
    return submission


def _stored(session, competition) -> dict[int, tuple[int, bool, bool]]:
    rows = session.scalars(sa.select(BoardRank).where(BoardRank.competition_id == competition.id,
                                                      BoardRank.metric == METRIC))
    return {r.evaluation_id: (r.rank, r.tied, r.separated) for r in rows}


@pytest.fixture
def tied_board(world):
    s, comp = world["session"], world["competition"]
    org, cid = make_user(s, "org"), make_user(s, "cid")
    subs = {
        "ann": _entry(s, comp, world["ann"], 20.0, 1, 1),
        "bob": _entry(s, comp, world["bob"], 20.3, 2, 2),  # within ann's noise
        "cid": _entry(s, comp, cid, 30.0, 3, 3),  # far behind both
        "base": _entry(s, comp, org, 10.0, 4, 4, is_baseline=True),  # ahead of all, but a reference line
    }
    report = rerank(s, comp.id, metrics=[METRIC, "kid"])
    s.commit()
    return subs, report


def test_rerank_stores_ties_and_the_board_serves_them(client, world, tied_board):
    subs, report = tied_board
    s, comp = world["session"], world["competition"]
    assert report.entries == {METRIC: 3, "kid": 3}  # the baseline is never ranked
    stored = _stored(s, comp)
    eid = {name: sub.evaluations[0].id for name, sub in subs.items()}
    assert stored == {eid["ann"]: (1, True, False), eid["bob"]: (1, True, True), eid["cid"]: (3, False, True)}

    rows = leaderboard_rows(s, comp, METRIC)
    assert [(r.label.split("-")[0], r.rank, r.tied, r.medal) for r in rows] == [
        ("org", None, False, False), ("ann", 1, True, False), ("bob", 1, True, False), ("cid", 3, False, True)]
    assert [r.rank_state for r in rows] == [RankState.REFERENCE] + [RankState.STATISTICAL] * 3
    low, high = rows[1].intervals[METRIC]
    assert low < 20.0 < high and "fid" not in rows[1].intervals  # only metrics with an interval

    html = client.get("/competitions/demo/leaderboard").get_data(as_text=True)
    assert html.count('data-tied="true"') == 2 and html.count(">=1<") == 2
    assert html.count('data-medal="true"') == 1 and 'class="rank rank-3"' in html
    assert "not separated at 95 %" in html and "board-legend" in html and " ±" in html
    doc = json.loads(client.get("/competitions/demo/leaderboard.json").get_data(as_text=True))
    assert [(r["rank"], r["tied"], r["medal"]) for r in doc["rows"]] == [
        (None, False, False), (1, True, False), (1, True, False), (3, False, True)]
    assert doc["rows"][1]["intervals"][METRIC][0] < doc["rows"][1]["metrics"][METRIC]
    table = list(csv.DictReader(io.StringIO(client.get("/competitions/demo/leaderboard.csv").get_data(as_text=True))))
    assert [r["tied"] for r in table] == ["0", "1", "1", "0"] and table[1][f"{METRIC}_low"] != ""
    # The competition page's top table shows the same marks.
    assert client.get("/competitions/demo").get_data(as_text=True).count('data-tied="true"') == 2


def test_metric_without_replicates_ranks_in_exact_order(world, tied_board):
    s, comp = world["session"], world["competition"]
    rows = [r for r in leaderboard_rows(s, comp, "kid") if not r.is_baseline]
    # full_scores gives every entry the same KID: an exact tie at rank 1, no medal, no interval.
    assert [(r.rank, r.tied, r.medal, r.rank_state) for r in rows] == [(1, True, False, RankState.EXACT)] * 3
    assert all("kid" not in r.intervals for r in rows)


def test_one_new_score_reranks_incrementally_and_exactly(world):
    s, comp = world["session"], world["competition"]
    points = [20.0, 20.4, 21.0, 23.0, 23.2, 26.0, 26.1, 26.3, 30.0, 35.0, 35.5, 36.0, 38.0, 41.0, 41.2, 45.0]
    users = [make_user(s, f"u{i}") for i in range(len(points))]
    subs = [_entry(s, comp, user, p, 10 + i, i + 1) for i, (user, p) in enumerate(zip(users, points))]
    assert rerank(s, comp.id, metrics=[METRIC]).full == {METRIC: True}
    # u3 improves (one entry leaves, one joins) and a newcomer lands in the middle.
    _entry(s, comp, users[3], 20.2, 99, 50)
    newcomer = make_user(s, "new")
    _entry(s, comp, newcomer, 26.05, 98, 51)
    report = rerank(s, comp.id, metrics=[METRIC])
    assert report.full == {METRIC: False} and report.entries == {METRIC: 17}
    incremental = _stored(s, comp)
    assert subs[3].evaluations[0].id not in incremental  # the old best is off the board
    s.execute(sa.delete(BoardRank))
    assert rerank(s, comp.id, metrics=[METRIC]).full == {METRIC: True}
    assert _stored(s, comp) == incremental


def test_disqualified_entries_leave_the_ranking(world, tied_board):
    subs, _ = tied_board
    s, comp = world["session"], world["competition"]
    disqualify_submission(s, comp, subs["ann"].id, "copied the style image")  # re-ranks the board itself
    ranks = {r.label.split("-")[0]: (r.rank, r.tied, r.medal) for r in leaderboard_rows(s, comp, METRIC)}
    assert "ann" not in ranks and ranks["bob"] == (1, False, True) and ranks["cid"] == (2, False, True)
    reinstate_submission(s, comp, subs["ann"].id)
    ranks = {r.label.split("-")[0]: (r.rank, r.tied) for r in leaderboard_rows(s, comp, METRIC)}
    assert ranks["ann"] == ranks["bob"] == (1, True)
