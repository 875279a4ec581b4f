"""Which entries a board ranks, and their stored ranks with ties (SQL side of ``ranking``).

``board_entries`` is the one statement of "an entry": per participant the best scored
submission on the competition's current target (by the metric's point estimate, the earlier
submission on equal values), each baseline an entry of its own; disqualified submissions never.
The leaderboard pages and ``rerank`` both read it, so the ranked set is the shown set.

``rerank`` runs when a score lands (the worker, after the fenced write commits): per metric it
compares the board's entries with the stored ranks, tests only the pairs that involve an entry
that joined or left (every pair when nothing usable is stored), and replaces the stored rows,
all in one transaction that holds the competition's row lock so two workers never interleave.
Baselines are reference lines: they are never ranked and never counted as beating anyone.
"""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass

import numpy as np
import sqlalchemy as sa
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from arena.core.db import transaction
from arena.core.enums import EvaluationStatus, SubmissionStatus
from arena.core.models import BoardRank, Competition, Evaluation, Score, ScoreReplicate, Submission, utcnow
from arena.core.target import EvaluationTarget
from evaluator.metrics.catalog import METRICS, MetricInfo
from evaluator.metrics.optional_catalog import OPTIONAL_METRICS, metric_info, parse_optional_metrics
from evaluator.statistics.protocol import PROTOCOL
from evaluator.statistics.ranking import decode, rank_with_ties, reflected, update_beaten_by

log = logging.getLogger(__name__)
# ``BoardRank.scope`` of the competition's whole board (a phase's board uses the phase's id).
WHOLE_BOARD = 0


def board_entries(competition: Competition, metric: MetricInfo, phase_id: int | None = None) -> sa.Subquery:
    """One row per board entry: sid, owner_id, label, created_at, is_baseline, eid, sort_value.

    With ``phase_id``: the board of that phase (issue 15), its submissions only; baselines are
    reference lines on every phase's board.
    """
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
            Score.ci_low.label("ci_low"),
            Score.ci_high.label("ci_high"),
            sa.func.row_number()
            .over(partition_by=entrant, order_by=(by_value(Score.value), Submission.created_at, Submission.id))
            .label("rn"),
        )
        .join(Evaluation, sa.and_(Evaluation.submission_id == Submission.id,
                                  EvaluationTarget.of(competition).condition(),
                                  Evaluation.status == EvaluationStatus.SCORED))
        .join(Score, sa.and_(Score.evaluation_id == Evaluation.id, Score.metric == metric.name,
                             # An optional metric's version is not in the scorer id: rank only its current one.
                             *([Score.definition_version == metric.version] if metric.name in OPTIONAL_METRICS else [])))
        .where(Submission.competition_id == competition.id, Submission.status != SubmissionStatus.DISQUALIFIED,
               *([sa.or_(Submission.is_baseline, Submission.phase_id == phase_id)] if phase_id is not None else []))
        .subquery("ranked")
    )
    return sa.select(ranked).where(ranked.c.rn == 1).subquery("entries")


def board_order(entries: sa.Subquery, metric: MetricInfo) -> tuple:
    """The order a board lists its entries in: point estimate, then the earlier submission."""
    value = entries.c.sort_value.desc() if metric.higher_is_better else entries.c.sort_value.asc()
    return value, entries.c.created_at, entries.c.sid


@dataclass(frozen=True)
class RerankReport:
    """What one ``rerank`` did, per metric: entries ranked, pairs tested from scratch or not, seconds."""

    entries: dict[str, int]
    full: dict[str, bool]
    seconds: float


def bump_board_revision(session: Session, competition_id: int) -> None:
    """Count one change of the competition's board, in the caller's transaction.

    The one place the counter moves: public board caches (``arena.web.board_version``) serve
    their copy for as long as it stands still. Incremented in SQL, so concurrent writers on
    any host never lose a bump.
    """
    session.execute(sa.update(Competition).where(Competition.id == competition_id)
                    .values(board_revision=Competition.board_revision + 1),
                    execution_options={"synchronize_session": False})


def rerank(session: Session, competition_id: int, metrics: list[str] | None = None) -> RerankReport:
    """Recompute and store the ranks with ties of every metric's board (the caller commits)."""
    started = time.perf_counter()
    competition = session.scalars(
        sa.select(Competition).where(Competition.id == competition_id).with_for_update()
    ).one()
    bump_board_revision(session, competition_id)
    entries_count: dict[str, int] = {}
    full: dict[str, bool] = {}
    chosen = list(METRICS) + list(parse_optional_metrics(competition.optional_metrics))
    # A competition of several phases has a board per phase besides the whole one (scope = phase id).
    scopes = [None, *(phase.id for phase in competition.phases)] if len(competition.phases) > 1 else [None]
    stale = sa.delete(BoardRank).where(BoardRank.competition_id == competition.id,
                                       BoardRank.scope.not_in([s or WHOLE_BOARD for s in scopes]))
    session.execute(stale, execution_options={"synchronize_session": False})
    for name in metrics or chosen:
        for phase_id in scopes:
            count, scratch = _rerank_metric(session, competition, metric_info(name), phase_id)
            if phase_id is None:
                entries_count[name], full[name] = count, scratch
    return RerankReport(entries_count, full, time.perf_counter() - started)


def _rerank_metric(session: Session, competition: Competition, metric: MetricInfo,
                   phase_id: int | None = None) -> tuple[int, bool]:
    scope = phase_id or WHOLE_BOARD
    entries = board_entries(competition, metric, phase_id)
    eids = [row.eid for row in session.execute(
        sa.select(entries.c.eid).where(entries.c.is_baseline.is_(False)).order_by(*board_order(entries, metric)))]
    stored = {row.evaluation_id: row for row in session.scalars(
        sa.select(BoardRank).where(BoardRank.competition_id == competition.id, BoardRank.metric == metric.name,
                                   BoardRank.scope == scope))}
    removed = [eid for eid in stored if eid not in set(eids)]
    values = _points_and_replicates(session, metric.name, eids + removed)
    points = np.array([values[eid][0] for eid in eids], dtype=np.float64)
    have_all = all(values[eid][1] is not None for eid in eids)
    replicates = None
    beaten_by = None
    from_scratch = True
    if have_all and eids:
        replicates = np.stack([values[eid][1] for eid in eids])
        usable = (all(row.protocol == PROTOCOL and row.statistical for row in stored.values())
                  and all(eid in values and values[eid][1] is not None and len(values[eid][1]) == replicates.shape[1]
                          for eid in removed))
        added = np.array([eid not in stored for eid in eids], dtype=bool)
        # Few changes: test only the pairs that involve them. Many: every pair is as cheap.
        if stored and usable and (added.sum() + len(removed)) * 4 < len(eids):
            r = reflected(points, replicates, metric.higher_is_better)
            r_removed = (reflected(np.array([values[e][0] for e in removed]),
                                   np.stack([values[e][1] for e in removed]), metric.higher_is_better)
                         if removed else np.zeros((0, replicates.shape[1])))
            old = np.array([stored[eid].beaten_by if eid in stored else 0 for eid in eids], dtype=np.int64)
            beaten_by = update_beaten_by(r, old, added, r_removed)
            from_scratch = False
    elif eids:
        log.info("board %s/%s: an entry has no replicates; ranked in exact order", competition.slug, metric.name)
    ranked = rank_with_ties(points, replicates, metric.higher_is_better, beaten_by=beaten_by)
    session.execute(sa.delete(BoardRank).where(BoardRank.competition_id == competition.id,
                                               BoardRank.metric == metric.name, BoardRank.scope == scope),
                    execution_options={"synchronize_session": False})
    now = utcnow()
    if eids:
        session.execute(sa.insert(BoardRank), [
            {"competition_id": competition.id, "metric": metric.name, "scope": scope, "evaluation_id": eid,
             "rank": int(ranked.ranks[i]), "beaten_by": int(ranked.beaten_by[i]), "tied": bool(ranked.tied[i]),
             "separated": bool(ranked.separated[i]), "statistical": ranked.statistical, "protocol": PROTOCOL,
             "computed_at": now}
            for i, eid in enumerate(eids)
        ])
    return len(eids), from_scratch


def _points_and_replicates(session: Session, metric: str, eids: list[int]) -> dict[int, tuple[float, np.ndarray | None]]:
    out: dict[int, tuple[float, np.ndarray | None]] = {}
    for start in range(0, len(eids), 900):  # SQLite's bound-parameter limit
        chunk = eids[start:start + 900]
        rows = session.execute(
            sa.select(Score.evaluation_id, Score.value, ScoreReplicate.data)
            .outerjoin(ScoreReplicate, sa.and_(ScoreReplicate.evaluation_id == Score.evaluation_id,
                                               ScoreReplicate.metric == Score.metric))
            .where(Score.metric == metric, Score.evaluation_id.in_(chunk))
        )
        for eid, value, data in rows:
            out[eid] = (float(value), decode(data) if data is not None else None)
    return out


def rerank_after_score(factory: sessionmaker[Session], evaluation_id: int) -> bool:
    """Re-rank the board the evaluation counts on (if it counts now); False if that failed.

    A failure here must not undo a recorded score: the ranks stay as they were (the board shows
    the exact order for the new entry) and the next score on the board re-ranks it.
    """
    try:
        with transaction(factory) as session:
            row = session.execute(
                sa.select(Competition.id, Competition.hidden_dataset_id, Competition.scorer_version,
                          Evaluation.dataset_version_id, Evaluation.scorer_version)
                .join(Submission, Submission.competition_id == Competition.id)
                .join(Evaluation, Evaluation.submission_id == Submission.id)
                .where(Evaluation.id == evaluation_id)
            ).one()
            if not EvaluationTarget(row[1], row[2]).matches(row[3], row[4]):
                return True  # a rescore on another version: not on the board (yet)
            rerank(session, row[0])
        return True
    except SQLAlchemyError as exc:
        log.warning("re-ranking after evaluation %s failed; ranks stay as they were: %s", evaluation_id, exc)
        return False
