"""The leaderboard: the best scored submission per participant, ranked, in one SQL query.

Only evaluations of the competition's current hidden dataset version and scorer version
count; disqualified submissions never appear (``evaluator.statistics.board.board_entries``
says what an entry is). Rows are listed by point estimate, the earlier submission first on
equal values; each row's rank is the stored rank with ties (``evaluator.statistics``: 1 +
the entries better with confidence, written when a score lands), and until that is written
the exact-order rank with no medal. Baseline submissions are each their own entry (an
organizer may publish several), and a row is flagged ``calibrated=False`` when any of its
scores was computed without verified backbone weights.
"""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from enum import Enum

import sqlalchemy as sa
from sqlalchemy.orm import Session, aliased

from arena.core.enums import EvaluationStatus, SubmissionStatus
from arena.core.errors import ArenaError
from arena.core.models import BoardRank, Competition, Score, User
from evaluator.metrics.catalog import METRICS, MetricInfo
from evaluator.metrics.optional_catalog import competition_metrics
from evaluator.statistics.board import WHOLE_BOARD, board_entries, board_order
from evaluator.statistics.ranking import earns_medal

MAX_PAGE_SIZE = 500


class RankState(str, Enum):
    """Where a row's rank comes from."""

    STATISTICAL = "statistical"  # stored rank with ties from the paired bootstrap
    EXACT = "exact"  # stored, but the metric has no replicates: the exact order of the values
    PENDING = "pending"  # not yet stored (a score just landed): the exact order until it is
    REFERENCE = "reference"  # a baseline: a reference line, never ranked


@dataclass(frozen=True)
class LeaderboardRow:
    """One entry of a leaderboard page; ``total`` is the number of entries on all pages."""

    rank: int | None  # None for a baseline (shown in place as an unranked reference line)
    submission_id: int
    owner_id: int
    username: str
    label: str
    created_at: datetime
    is_baseline: bool
    calibrated: bool
    sort_value: float
    metrics: dict[str, float | None]
    total: int
    # metric -> (low, high) of its 95 % interval, for the metrics that have one.
    intervals: dict[str, tuple[float, float]] = field(default_factory=dict)
    # Shares its rank with another entry (not separated at 95 %); shown as "=r".
    tied: bool = False
    # Earns its rank's medal (``evaluator.statistics.ranking.earns_medal``).
    medal: bool = False
    rank_state: RankState = RankState.PENDING


class UnknownMetric(ArenaError):
    """A sort metric that the platform does not compute."""


def metric_columns(competition: Competition | None = None) -> tuple[MetricInfo, ...]:
    """The metrics the platform computes, in the order boards show them (the catalog's), then
    the optional ones ``competition`` computes (``evaluator.metrics.optional_catalog``)."""
    return competition_metrics(competition.optional_metrics) if competition is not None else tuple(METRICS.values())


def resolve_metric(competition: Competition, sort_metric: str | None) -> MetricInfo:
    """The metric to rank by (the competition's by default); raises UnknownMetric."""
    name = sort_metric or competition.ranking_metric
    for column in metric_columns(competition):
        if column.name == name:
            return column
    raise UnknownMetric("unknown_metric", f"There is no metric called '{name}'.")


def leaderboard_rows(
    session: Session,
    competition: Competition,
    sort_metric: str | None = None,
    limit: int = 50,
    offset: int = 0,
    phase_id: int | None = None,
) -> list[LeaderboardRow]:
    """One page of the leaderboard ranked by ``sort_metric`` (default: the ranking metric).

    ``phase_id``: the board of that phase (its submissions, its stored ranks), else the whole one.
    Raises UnknownMetric for a metric the platform does not compute.
    """
    return list(_board_rows(session, competition, sort_metric, max(1, min(limit, MAX_PAGE_SIZE)), max(0, offset),
                            phase_id))


def every_leaderboard_row(session: Session, competition: Competition,
                          sort_metric: str | None = None, phase_id: int | None = None) -> Iterator[LeaderboardRow]:
    """Every entry of the board in page order, from one query (for tables over the whole board).

    Why not page by page: each page runs the board's window functions over every entry, so
    walking N entries in pages costs N / page-size full queries (minutes at 100,000 entries).
    """
    return _board_rows(session, competition, sort_metric, None, 0, phase_id)


def _board_rows(session: Session, competition: Competition, sort_metric: str | None,
                limit: int | None, offset: int, phase_id: int | None = None) -> Iterator[LeaderboardRow]:
    metric = resolve_metric(competition, sort_metric)
    if competition.hidden_dataset_id is None:
        return iter(())
    names = [c.name for c in metric_columns(competition)]
    entries = board_entries(competition, metric, phase_id)
    order = board_order(entries, metric)
    stored = aliased(BoardRank)
    best = (
        sa.select(
            entries.c.sid, entries.c.owner_id, entries.c.label, entries.c.created_at,
            entries.c.is_baseline, entries.c.eid, entries.c.sort_value,
            # Baselines are reference lines, not competitors: participants rank among themselves.
            # The exact-order rank stands in only until the stored rank with ties is written.
            sa.func.rank().over(partition_by=entries.c.is_baseline, order_by=order[0]).label("rank"),
            sa.func.count().over().label("total"),
        )
        .order_by(*order)
        .limit(limit)
        .offset(offset)
        .subquery("best")
    )
    # Pivot every metric of the page's evaluations into columns (only `limit` rows reach here).
    other = aliased(Score)
    pivots = [sa.func.max(sa.case((other.metric == n, other.value))).label(f"m_{n}") for n in names]
    lows = [sa.func.max(sa.case((other.metric == n, other.ci_low))).label(f"lo_{n}") for n in names]
    highs = [sa.func.max(sa.case((other.metric == n, other.ci_high))).label(f"hi_{n}") for n in names]
    all_calibrated = sa.func.min(sa.case((other.calibrated, 1), else_=0)).label("calibrated")
    group = (best.c.sid, best.c.owner_id, best.c.label, best.c.created_at, best.c.is_baseline,
             best.c.eid, best.c.sort_value, best.c.rank, best.c.total, User.username)
    stored_cols = (stored.rank.label("stored_rank"), stored.tied.label("stored_tied"),
                   stored.separated.label("stored_separated"), stored.statistical.label("stored_statistical"))
    stmt = (
        sa.select(*group, *stored_cols, *pivots, *lows, *highs, all_calibrated)
        .join(User, User.id == best.c.owner_id)
        .join(other, other.evaluation_id == best.c.eid)
        .outerjoin(stored, sa.and_(stored.competition_id == competition.id, stored.metric == metric.name,
                                   stored.scope == (phase_id or WHOLE_BOARD), stored.evaluation_id == best.c.eid))
        .group_by(*group, stored.rank, stored.tied, stored.separated, stored.statistical)
        .order_by(best.c.sort_value.desc() if metric.higher_is_better else best.c.sort_value.asc(),
                  best.c.created_at, best.c.sid)
    )
    result = session.execute(stmt)
    # Per metric, the positions of its value and interval columns: a whole board is thousands
    # of rows × three columns per metric, and a Row's attribute lookup by name costs a few µs.
    at = {key: i for i, key in enumerate(result.keys())}
    columns = tuple((n, at[f"m_{n}"], at[f"lo_{n}"], at[f"hi_{n}"]) for n in names)
    return (_row(r, columns) for r in result)


def _row(r, columns: tuple[tuple[str, int, int, int], ...]) -> LeaderboardRow:
    v = tuple(r)  # plain tuple indexing: a Row's own __getitem__ costs more
    ranked = r.stored_rank is not None and not r.is_baseline
    rank = None if r.is_baseline else int(r.stored_rank if ranked else r.rank)
    tied = bool(r.stored_tied) if ranked else False
    return LeaderboardRow(
        rank=rank,
        submission_id=r.sid,
        owner_id=r.owner_id,
        username=r.username,
        label=r.label or "",
        created_at=_aware(r.created_at),
        is_baseline=bool(r.is_baseline),
        calibrated=bool(r.calibrated),
        sort_value=float(r.sort_value),
        metrics={n: v[value] for n, value, _, _ in columns},
        total=int(r.total),
        intervals={n: (v[low], v[high]) for n, _, low, high in columns
                   if v[low] is not None and v[high] is not None},
        tied=tied,
        medal=ranked and earns_medal(rank, tied, bool(r.stored_separated)),
        rank_state=(RankState.REFERENCE if r.is_baseline else
                    RankState.STATISTICAL if ranked and r.stored_statistical else
                    RankState.EXACT if ranked else RankState.PENDING),
    )


def _aware(value: datetime) -> datetime:
    # Defensive: the column type returns aware UTC, but raw drivers may hand back naive values.
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
