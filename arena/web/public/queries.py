"""Lookups shared by the public, participant and API views (authorization included)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask_login import current_user
from sqlalchemy.orm import Session

from arena.core.enums import CompetitionStatus, SubmissionStatus
from arena.core.errors import NotFound
from arena.core.models import Competition, Evaluation, Submission, User, utcnow
from arena.core.target import EvaluationTarget
from arena.services.phases import daily_quota
from arena.services.submissions import day_start, uploads_today


def _is_organizer(user: User | None) -> bool:
    return bool(user is not None and getattr(user, "is_authenticated", False) and user.is_organizer)


def may_read_notes(submission: Submission, user: User | None) -> bool:
    """Notes are the owner's working notes: shown to them and organizers (and on baselines)."""
    if submission.is_baseline or _is_organizer(user):
        return True
    return bool(user is not None and getattr(user, "is_authenticated", False) and user.id == submission.owner_id)


def viewer() -> User | None:
    """The logged-in user, or None for a visitor."""
    return current_user if current_user.is_authenticated else None  # type: ignore[return-value]


def visible_competitions(session: Session, user: User | None) -> list[Competition]:
    """Competitions a visitor may browse (drafts only for organizers), open ones first."""
    stmt = sa.select(Competition).order_by(
        (Competition.status != CompetitionStatus.OPEN), Competition.created_at.desc()
    )
    if not _is_organizer(user):
        stmt = stmt.where(Competition.status != CompetitionStatus.DRAFT)
    return list(session.scalars(stmt))


def entrant_counts(session: Session) -> dict[int, int]:
    """Number of distinct participants with a scored submission, per competition (one query)."""
    rows = session.execute(
        sa.select(Submission.competition_id, sa.func.count(sa.distinct(Submission.owner_id)))
        .where(Submission.status == SubmissionStatus.SCORED)
        .group_by(Submission.competition_id)
    )
    return {cid: n for cid, n in rows}


def competition_or_404(session: Session, slug: str, user: User | None) -> Competition:
    """The competition with this slug if this user may see it; raises NotFound."""
    competition = session.scalar(sa.select(Competition).where(Competition.slug == slug))
    if competition is None or (competition.status == CompetitionStatus.DRAFT and not _is_organizer(user)):
        raise NotFound("competition_not_found", f"There is no competition called '{slug}'.")
    return competition


def public_submission_or_404(session: Session, submission_id: int, user: User | None) -> Submission:
    """A submission whose public page this user may see; raises NotFound.

    Scored submissions are public; anything else (queued, running, failed, disqualified) is
    visible only to its owner and organizers, and is reported as missing to everyone else
    so that ids do not leak what exists.
    """
    submission = session.get(Submission, submission_id)
    if submission is None:
        raise NotFound("submission_not_found", "There is no such submission.")
    is_owner = user is not None and submission.owner_id == user.id
    public = submission.status == SubmissionStatus.SCORED and (
        submission.competition.status != CompetitionStatus.DRAFT
    )
    if not (public or is_owner or _is_organizer(user)):
        raise NotFound("submission_not_found", "There is no such submission.")
    return submission


def owned_submission_or_404(session: Session, submission_id: int, user: User) -> Submission:
    """One of ``user``'s own submissions; another person's is reported as missing."""
    submission = session.get(Submission, submission_id)
    if submission is None or submission.owner_id != user.id:
        raise NotFound("submission_not_found", "There is no such submission.")
    return submission


def owned_or_organized_submission_or_404(session: Session, submission_id: int, user: User) -> Submission:
    """A submission of ``user``'s own, or any one for an organizer; everyone else hears it is missing."""
    submission = session.get(Submission, submission_id)
    if submission is None or not (submission.owner_id == user.id or _is_organizer(user)):
        raise NotFound("submission_not_found", "There is no such submission.")
    return submission


def own_submissions(session: Session, user: User, limit: int = 100) -> list[Submission]:
    """The user's submissions, newest first."""
    return list(session.scalars(
        sa.select(Submission).where(Submission.owner_id == user.id)
        .order_by(Submission.created_at.desc(), Submission.id.desc()).limit(limit)
    ))


def ranking_score(submission: Submission) -> float | None:
    """The submission's value of its competition's ranking metric, on the evaluation that counts."""
    evaluation = current_evaluation(submission)
    if evaluation is None:
        return None
    metric = submission.competition.ranking_metric
    return next((s.value for s in evaluation.scores if s.metric == metric), None)


@dataclass(frozen=True)
class QuotaStatus:
    """How many uploads a participant has left today and when the count resets."""

    limit: int
    used: int
    resets_at: datetime

    @property
    def remaining(self) -> int:
        return max(0, self.limit - self.used)


def quota_status(session: Session, user: User, competition: Competition, now: datetime | None = None) -> QuotaStatus:
    """Today's (UTC day) counted uploads of ``user`` to ``competition``, as the service counts them."""
    now = now or utcnow()
    used = uploads_today(session, user, competition, now)
    return QuotaStatus(limit=daily_quota(competition, now), used=int(used), resets_at=day_start(now) + timedelta(days=1))


def current_evaluation(submission: Submission) -> Evaluation | None:
    """The evaluation on the competition's current hidden set and scorer version, if any."""
    target = EvaluationTarget.of(submission.competition)
    for evaluation in reversed(submission.evaluations):
        if target.counts(evaluation):
            return evaluation
    return None
