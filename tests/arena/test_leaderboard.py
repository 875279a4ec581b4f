"""The leaderboard query on SQLite and PostgreSQL: best per participant, ties, filters."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from arena.core.enums import DatasetSplit, SubmissionStatus
from arena.services.leaderboard import UnknownMetric, leaderboard_rows
from webseed import add_scored, full_scores, make_competition, make_dataset, make_user


@pytest.fixture
def board(db_session):
    """A competition with three participants and a baseline."""
    competition = make_competition(db_session)
    users = {name: make_user(db_session, name) for name in ("ann", "bob", "cid", "org")}
    return db_session, competition, users


def test_best_submission_per_participant(board):
    session, comp, u = board
    add_scored(session, comp, u["ann"], full_scores(30.0), minutes=1, label="ann-worse")
    add_scored(session, comp, u["ann"], full_scores(20.0), minutes=2, label="ann-best")
    add_scored(session, comp, u["bob"], full_scores(25.0), minutes=3, label="bob-only")
    rows = leaderboard_rows(session, comp)
    assert [(r.rank, r.username, r.label) for r in rows] == [(1, "ann", "ann-best"), (2, "bob", "bob-only")]
    assert rows[0].total == 2
    assert rows[0].metrics["art_fid"] == 20.0 and rows[0].metrics["fid"] == 10.0


def test_ties_share_rank_and_earlier_submission_first(board):
    session, comp, u = board
    add_scored(session, comp, u["bob"], full_scores(20.0), minutes=5, label="bob-late")
    add_scored(session, comp, u["ann"], full_scores(20.0), minutes=4, label="ann-early")
    add_scored(session, comp, u["cid"], full_scores(21.0), minutes=1)
    # A participant's own tie: the earlier of two equal submissions represents them.
    add_scored(session, comp, u["bob"], full_scores(20.0), minutes=9, label="bob-later-tie")
    rows = leaderboard_rows(session, comp)
    assert [(r.rank, r.label) for r in rows][:2] == [(1, "ann-early"), (1, "bob-late")]
    assert rows[2].rank == 3 and rows[2].username == "cid"


def test_sorting_by_another_metric_reorders(board):
    session, comp, u = board
    add_scored(session, comp, u["ann"], full_scores(10.0, lpips=0.9), minutes=1)
    add_scored(session, comp, u["bob"], full_scores(20.0, lpips=0.1), minutes=2)
    assert [r.username for r in leaderboard_rows(session, comp)] == ["ann", "bob"]
    by_lpips = leaderboard_rows(session, comp, sort_metric="lpips")
    assert [r.username for r in by_lpips] == ["bob", "ann"]
    assert by_lpips[0].sort_value == pytest.approx(0.1)
    with pytest.raises(UnknownMetric):
        leaderboard_rows(session, comp, sort_metric="accuracy; drop table users")


def test_only_current_dataset_and_scorer_version_count(board):
    session, comp, u = board
    old = make_dataset(session, DatasetSplit.HIDDEN, "old")
    add_scored(session, comp, u["ann"], full_scores(1.0), minutes=1, dataset=old)
    add_scored(session, comp, u["bob"], full_scores(2.0), minutes=2, scorer_version="0")
    add_scored(session, comp, u["cid"], full_scores(50.0), minutes=3)
    assert [r.username for r in leaderboard_rows(session, comp)] == ["cid"]


def test_disqualified_excluded_baselines_marked_uncalibrated_flagged(board):
    session, comp, u = board
    add_scored(session, comp, u["ann"], full_scores(1.0), minutes=1, status=SubmissionStatus.DISQUALIFIED)
    add_scored(session, comp, u["ann"], full_scores(9.0), minutes=2, label="ann-ok", calibrated=False)
    add_scored(session, comp, u["org"], full_scores(5.0), minutes=3, label="AdaIN", is_baseline=True)
    add_scored(session, comp, u["org"], full_scores(7.0), minutes=4, label="WCT", is_baseline=True)
    rows = leaderboard_rows(session, comp)
    assert [(r.label, r.is_baseline, r.calibrated) for r in rows] == [
        ("AdaIN", True, True), ("WCT", True, True), ("ann-ok", False, False)
    ]
    # Baselines sit in place as unranked reference lines; the participant behind them is first.
    assert [r.rank for r in rows] == [None, None, 1]


def test_pagination_and_no_hidden_dataset(board):
    session, comp, u = board
    for i, name in enumerate(("ann", "bob", "cid")):
        add_scored(session, comp, u[name], full_scores(float(i)), minutes=i)
    page2 = leaderboard_rows(session, comp, limit=2, offset=2)
    assert [(r.rank, r.username, r.total) for r in page2] == [(3, "cid", 3)]
    empty = make_competition(session, "empty", hidden_dataset=None)
    empty.hidden_dataset_id = None
    session.flush()
    assert leaderboard_rows(session, empty) == []


def test_one_query_per_page(board):
    session, comp, u = board
    for i in range(20):
        user = make_user(session, f"p{i}")
        add_scored(session, comp, user, full_scores(float(i)), minutes=i)
    session.commit()
    statements: list[str] = []

    def record(_conn, _cursor, statement, *_rest):
        statements.append(statement)

    engine = session.get_bind()
    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        rows = leaderboard_rows(session, comp, limit=10)
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)
    assert len(rows) == 10 and rows[-1].rank == 10
    assert len([s for s in statements if s.lstrip().upper().startswith(("SELECT", "WITH"))]) == 1


def test_metric_catalog_comes_from_the_metrics_package():
    from arena.services.leaderboard import metric_columns
    from evaluator.metrics.catalog import METRICS

    columns = metric_columns()
    assert {c.name for c in columns} == set(METRICS)
    assert columns[0].name == "art_fid"  # the default ranking metric leads
    assert all(c.label == METRICS[c.name].label and not c.higher_is_better for c in columns)
