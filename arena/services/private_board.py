"""Finalizing a competition and reading its private board (issue 15).

While a competition runs its board shows the public part of the hidden version only; the
private part is scored at the same time (``evaluator.board_parts``) and kept in
``private_scores``. ``finalize`` (after the end date) freezes submissions, takes each
participant's final submissions (``arena.services.final_choices.final_submissions``: the ones
they marked, else their best K on the public board), keeps the best of them on the private part,
ranks those with ties (the same paired bootstrap rule as the public board, on the private
part's resamples) and stores the standings with each participant's public rank at that moment,
so the shake-up shown later is the one that happened. Nothing here runs a generator or resamples
at request time: the private board page reads the stored rows.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

import numpy as np
import sqlalchemy as sa
from sqlalchemy.orm import Session

from arena.core.enums import CompetitionStatus, EvaluationStatus, SubmissionStatus
from arena.core.errors import ArenaError
from arena.core.models import Competition, Evaluation, PrivateBoardEntry, PrivateScore, Submission, User, utcnow
from arena.core.target import EvaluationTarget
from arena.services import audit
from arena.services.final_choices import final_submissions
from arena.services.leaderboard import every_leaderboard_row, resolve_metric
from evaluator.statistics.ranking import decode, rank_with_ties


class FinalizeRefused(ArenaError):
    """The competition cannot be finalized now; the message says what to do first."""


class NotFinalized(ArenaError):
    """The private board is not published yet."""


@dataclass(frozen=True)
class PrivateStanding:
    """One participant's row of the private board (planned, or read back after finalize)."""

    owner_id: int
    username: str
    submission_id: int
    label: str
    evaluation_id: int
    metric: str
    value: float
    ci_low: float | None
    ci_high: float | None
    private_rank: int
    tied: bool
    public_rank: int | None
    public_value: float | None
    finals: int
    chosen: bool

    @property
    def shake_up(self) -> int | None:
        """Places gained (positive) or lost (negative) from the public to the private board."""
        return None if self.public_rank is None else self.public_rank - self.private_rank


def refusal(session: Session, competition: Competition, now: datetime) -> str | None:
    """Why ``competition`` cannot be finalized at ``now`` (None: it can)."""
    if competition.finalized_at is not None:
        return f"'{competition.slug}' was finalized on {competition.finalized_at:%Y-%m-%d %H:%M} UTC; its private board is published."
    hidden = competition.hidden_dataset
    if hidden is None or hidden.board_public_fraction is None:
        return (f"'{competition.slug}''s hidden version has no private part: publish one with "
                f"--public-board-fraction (stylearena dataset publish DIR --competition {competition.slug}), "
                f"rescore and switch to it, then finalize.")
    if competition.ends_at is None or _aware(competition.ends_at) > now:
        when = f"on {_aware(competition.ends_at):%Y-%m-%d %H:%M} UTC" if competition.ends_at else "(no end date is set)"
        return (f"'{competition.slug}' ends {when}; finalize after its end "
                f"(set one with stylearena competition configure {competition.slug} --ends-at ...).")
    pending = session.scalar(
        sa.select(sa.func.count()).select_from(Evaluation).join(Submission, Submission.id == Evaluation.submission_id)
        .where(Submission.competition_id == competition.id, EvaluationTarget.of(competition).condition(),
               Evaluation.status.in_((EvaluationStatus.QUEUED, EvaluationStatus.RUNNING)),
               Submission.status != SubmissionStatus.DISQUALIFIED))
    if pending:
        return (f"{pending} evaluation(s) of '{competition.slug}' are still queued or running; wait until they are "
                f"scored or failed (stylearena rescore status {competition.slug}), then finalize.")
    return None


def plan(session: Session, competition: Competition) -> list[PrivateStanding]:
    """The private board finalize would publish now, in rank order (nothing is written)."""
    metric = resolve_metric(competition, None)
    finals = final_submissions(session, competition)
    if not finals:
        return []
    chosen = _chosen_owners(session, competition)
    public = {row.owner_id: (row.rank, row.sort_value) for row in every_leaderboard_row(session, competition)
              if not row.is_baseline}
    wanted = [sid for sids in finals.values() for sid in sids]
    rows = []
    for start in range(0, len(wanted), 900):  # SQLite's bound-parameter limit
        rows += session.execute(
            sa.select(Submission.owner_id, User.username, Submission.id, Submission.label, Submission.created_at,
                      Evaluation.id, PrivateScore.value, PrivateScore.ci_low, PrivateScore.ci_high,
                      PrivateScore.replicates)
            .join(User, User.id == Submission.owner_id)
            .join(Evaluation, sa.and_(Evaluation.submission_id == Submission.id,
                                      EvaluationTarget.of(competition).condition(),
                                      Evaluation.status == EvaluationStatus.SCORED))
            .join(PrivateScore, sa.and_(PrivateScore.evaluation_id == Evaluation.id,
                                        PrivateScore.metric == metric.name))
            .where(Submission.id.in_(wanted[start:start + 900]))).all()
    sign = -1.0 if metric.higher_is_better else 1.0
    best: dict[int, tuple] = {}
    for row in sorted(rows, key=lambda r: (sign * r[6], r[4], r[2])):
        best.setdefault(row[0], row)
    ordered = sorted(best.values(), key=lambda r: (sign * r[6], r[4], r[2]))
    if not ordered:
        return []
    points = np.array([r[6] for r in ordered], dtype=np.float64)
    draws = [decode(r[9]) if r[9] is not None else None for r in ordered]
    usable = all(d is not None for d in draws) and len({len(d) for d in draws}) == 1
    ranked = rank_with_ties(points, np.stack(draws) if usable else None, metric.higher_is_better)
    return [
        PrivateStanding(owner_id=r[0], username=r[1], submission_id=r[2], label=r[3] or "", evaluation_id=r[5],
                        metric=metric.name, value=float(r[6]), ci_low=r[7], ci_high=r[8],
                        private_rank=int(ranked.ranks[i]), tied=bool(ranked.tied[i]),
                        public_rank=public.get(r[0], (None, None))[0], public_value=public.get(r[0], (None, None))[1],
                        finals=len(finals.get(r[0], [])), chosen=r[0] in chosen)
        for i, r in enumerate(ordered)
    ]


def finalize(session: Session, competition: Competition, now: datetime | None = None,
             dry_run: bool = False) -> list[PrivateStanding]:
    """Freeze ``competition`` and publish its private board (with ``dry_run``: only say what it would be).

    Raises:
        FinalizeRefused: ``refusal`` says why (too early, no private part, evaluations pending, done).
    """
    now = now or datetime.now(timezone.utc)
    reason = refusal(session, competition, now)
    if reason is not None:
        raise FinalizeRefused("finalize_refused", reason)
    standings = plan(session, competition)
    if dry_run:
        return standings
    session.execute(sa.delete(PrivateBoardEntry).where(PrivateBoardEntry.competition_id == competition.id))
    session.add_all(PrivateBoardEntry(
        competition_id=competition.id, owner_id=s.owner_id, submission_id=s.submission_id,
        evaluation_id=s.evaluation_id, metric=s.metric, value=s.value, ci_low=s.ci_low, ci_high=s.ci_high,
        private_rank=s.private_rank, tied=s.tied, public_rank=s.public_rank, public_value=s.public_value,
        finals=s.finals, chosen=s.chosen, computed_at=utcnow()) for s in standings)
    competition.finalized_at = now
    competition.status = CompetitionStatus.CLOSED
    audit.record(session, "finalize", competition, {"entries": len(standings), "metric": resolve_metric(competition, None).name})
    session.flush()
    return standings


def private_board(session: Session, competition: Competition) -> list[PrivateStanding]:
    """The published private board, in rank order.

    Raises:
        NotFinalized: before ``finalize`` (nobody but the organizers' CLI sees private numbers).
    """
    if competition.finalized_at is None:
        raise NotFinalized("not_finalized", f"'{competition.slug}''s private board is published when the "
                                            f"competition is finalized, after it ends.")
    rows = session.execute(
        sa.select(PrivateBoardEntry, User.username, Submission.label)
        .join(User, User.id == PrivateBoardEntry.owner_id)
        .join(Submission, Submission.id == PrivateBoardEntry.submission_id)
        .where(PrivateBoardEntry.competition_id == competition.id)
        .order_by(PrivateBoardEntry.private_rank, PrivateBoardEntry.value if not resolve_metric(
            competition, None).higher_is_better else PrivateBoardEntry.value.desc(), PrivateBoardEntry.submission_id))
    return [PrivateStanding(owner_id=e.owner_id, username=username, submission_id=e.submission_id, label=label or "",
                            evaluation_id=e.evaluation_id, metric=e.metric, value=e.value, ci_low=e.ci_low,
                            ci_high=e.ci_high, private_rank=e.private_rank, tied=e.tied, public_rank=e.public_rank,
                            public_value=e.public_value, finals=e.finals, chosen=e.chosen)
            for e, username, label in rows]


def _chosen_owners(session: Session, competition: Competition) -> set[int]:
    """Participants who marked at least one final submission themselves."""
    return set(session.scalars(sa.select(Submission.owner_id).distinct().where(
        Submission.competition_id == competition.id, Submission.marked_final_at.is_not(None))))


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
