"""The leaderboard: the best scored submission per participant, ranked, in one SQL query.

Only evaluations of the competition's current hidden dataset version and scorer version
count; disqualified submissions never appear. Equal ranking values share a rank and the
earlier submission is listed first. Baseline submissions are each their own entry (an
organizer may publish several), and a row is flagged ``calibrated=False`` when any of its
scores was computed without verified backbone weights.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

import sqlalchemy as sa
from sqlalchemy.orm import Session, aliased

from arena.core.enums import EvaluationStatus, SubmissionStatus
from arena.core.errors import ArenaError
from arena.core.models import Competition, Evaluation, Score, Submission, User
from arena.core.target import EvaluationTarget
from evaluator.metrics.catalog import METRICS, MetricInfo

MAX_PAGE_SIZE = 500


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


class UnknownMetric(ArenaError):
    """A sort metric that the platform does not compute."""


def metric_columns() -> tuple[MetricInfo, ...]:
    """The metrics the platform computes, in the order boards show them (the catalog's)."""
    return tuple(METRICS.values())


def resolve_metric(competition: Competition, sort_metric: str | None) -> MetricInfo:
    """The metric to rank by (the competition's by default); raises UnknownMetric."""
    name = sort_metric or competition.ranking_metric
    for column in metric_columns():
        if column.name == name:
            return column
    raise UnknownMetric("unknown_metric", f"There is no metric called '{name}'.")


def leaderboard_rows(
    session: Session,
    competition: Competition,
    sort_metric: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> list[LeaderboardRow]:
    """One page of the leaderboard ranked by ``sort_metric`` (default: the ranking metric).

    Raises UnknownMetric for a metric the platform does not compute.
    """
    metric = resolve_metric(competition, sort_metric)
    if competition.hidden_dataset_id is None:
        return []
    limit = max(1, min(limit, MAX_PAGE_SIZE))
    offset = max(0, offset)
    names = [c.name for c in metric_columns()]

    def by_value(column):
        return column.desc() if metric.higher_is_better else column.asc()

    # Baselines are entries of their own; participants compete with their best submission.
    entrant = sa.case((Submission.is_baseline, -Submission.id), else_=Submission.owner_id)
    ranked = (
        sa.select(
            Submission.id.label("sid"),
            Submission.owner_id.label("owner_id"),
            Submission.label.label("label"),
            Submission.created_at.label("created_at"),
            Submission.is_baseline.label("is_baseline"),
            Evaluation.id.label("eid"),
            Score.value.label("sort_value"),
            sa.func.row_number()
            .over(partition_by=entrant, order_by=(by_value(Score.value), Submission.created_at, Submission.id))
            .label("rn"),
        )
        .join(
            Evaluation,
            sa.and_(
                Evaluation.submission_id == Submission.id,
                EvaluationTarget.of(competition).condition(),
                Evaluation.status == EvaluationStatus.SCORED,
            ),
        )
        .join(Score, sa.and_(Score.evaluation_id == Evaluation.id, Score.metric == metric.name))
        .where(
            Submission.competition_id == competition.id,
            Submission.status != SubmissionStatus.DISQUALIFIED,
        )
        .subquery("ranked")
    )
    order = (by_value(ranked.c.sort_value), ranked.c.created_at, ranked.c.sid)
    best = (
        sa.select(
            ranked.c.sid, ranked.c.owner_id, ranked.c.label, ranked.c.created_at,
            ranked.c.is_baseline, ranked.c.eid, ranked.c.sort_value,
            # Baselines are reference lines, not competitors: participants rank among themselves.
            sa.func.rank().over(partition_by=ranked.c.is_baseline, order_by=by_value(ranked.c.sort_value)).label("rank"),
            sa.func.count().over().label("total"),
        )
        .where(ranked.c.rn == 1)
        .order_by(*order)
        .limit(limit)
        .offset(offset)
        .subquery("best")
    )
    # Pivot every metric of the page's evaluations into columns (only `limit` rows reach here).
    other = aliased(Score)
    pivots = [sa.func.max(sa.case((other.metric == n, other.value))).label(f"m_{n}") for n in names]
    all_calibrated = sa.func.min(sa.case((other.calibrated, 1), else_=0)).label("calibrated")
    group = (best.c.sid, best.c.owner_id, best.c.label, best.c.created_at, best.c.is_baseline,
             best.c.eid, best.c.sort_value, best.c.rank, best.c.total, User.username)
    stmt = (
        sa.select(*group, *pivots, all_calibrated)
        .join(User, User.id == best.c.owner_id)
        .join(other, other.evaluation_id == best.c.eid)
        .group_by(*group)
        .order_by(by_value(best.c.sort_value), best.c.created_at, best.c.sid)
    )
    return [
        LeaderboardRow(
            rank=None if r.is_baseline else int(r.rank),
            submission_id=r.sid,
            owner_id=r.owner_id,
            username=r.username,
            label=r.label or "",
            created_at=_aware(r.created_at),
            is_baseline=bool(r.is_baseline),
            calibrated=bool(r.calibrated),
            sort_value=float(r.sort_value),
            metrics={n: getattr(r, f"m_{n}") for n in names},
            total=int(r.total),
        )
        for r in session.execute(stmt)
    ]


def _aware(value: datetime) -> datetime:
    # Defensive: the column type returns aware UTC, but raw drivers may hand back naive values.
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
