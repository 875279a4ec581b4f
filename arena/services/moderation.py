"""Organizer moderation of submissions: disqualifying and reinstating them, scoped to a competition.

Every action names its competition: a bare id from another competition is refused (a typo must
not remove another board's leader), and ``describe`` says what the organizer is about to touch.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from arena.core.enums import EvaluationStatus, SubmissionStatus
from arena.core.errors import ArenaError, NotFound
from arena.core.models import Competition, Evaluation, Submission
from arena.core.target import EvaluationTarget
from arena.services import audit
from arena.services.leaderboard import MAX_PAGE_SIZE, leaderboard_rows
from evaluator.statistics.board import rerank

_FROM_EVALUATION = {
    EvaluationStatus.QUEUED: SubmissionStatus.QUEUED,
    EvaluationStatus.RUNNING: SubmissionStatus.RUNNING,
    EvaluationStatus.SCORED: SubmissionStatus.SCORED,
    EvaluationStatus.FAILED: SubmissionStatus.FAILED,
}


class ModerationError(ArenaError):
    """A moderation action that does not apply to the submission as it is."""


@dataclass(frozen=True)
class SubmissionSummary:
    """What an organizer sees before moderating a submission."""

    id: int
    competition: str
    participant: str
    label: str
    status: str
    rank: int | None  # its row's rank on the board now; None when it has no ranked row
    is_baseline: bool
    disqualified_reason: str | None

    def to_dict(self) -> dict[str, object]:
        return dict(self.__dict__)

    def text(self) -> str:
        """One line for the CLI's confirmation prompt."""
        rank = f"rank {self.rank}" if self.rank is not None else "not ranked"
        kind = " (baseline)" if self.is_baseline else ""
        return (f"submission {self.id} in '{self.competition}': participant {self.participant}, "
                f"label '{self.label or '-'}'{kind}, {self.status}, {rank}")


def get_submission(session: Session, submission_id: int) -> Submission:
    """The submission with this id; raises NotFound."""
    submission = session.get(Submission, submission_id)
    if submission is None:
        raise NotFound("no_such_submission", f"No submission with id {submission_id}.")
    return submission


def competition_submission(session: Session, competition: Competition, submission_id: int) -> Submission:
    """Submission ``submission_id`` of ``competition``; one of another competition is refused by name."""
    submission = get_submission(session, submission_id)
    if submission.competition_id != competition.id:
        raise ModerationError(
            "wrong_competition",
            f"Submission {submission_id} belongs to '{submission.competition.slug}', not '{competition.slug}'; "
            "nothing was changed. Check the id and the competition.")
    return submission


def current_rank(session: Session, submission: Submission) -> int | None:
    """The rank its row shows on the competition's board now (None: no ranked row)."""
    competition = submission.competition
    offset = 0
    while True:
        rows = leaderboard_rows(session, competition, limit=MAX_PAGE_SIZE, offset=offset)
        for row in rows:
            if row.submission_id == submission.id:
                return row.rank
        if len(rows) < MAX_PAGE_SIZE:
            return None
        offset += MAX_PAGE_SIZE


def describe(session: Session, submission: Submission) -> SubmissionSummary:
    """Competition, participant, label, status and current rank of a submission."""
    return SubmissionSummary(
        id=submission.id, competition=submission.competition.slug, participant=submission.owner.username,
        label=submission.label, status=submission.status.value, rank=current_rank(session, submission),
        is_baseline=bool(submission.is_baseline), disqualified_reason=submission.disqualified_reason)


def disqualify_submission(session: Session, competition: Competition, submission_id: int, reason: str,
                          actor: str | None = None) -> Submission:
    """Take a submission of ``competition`` off the board with a reason (shown to its owner); scores are kept."""
    reason = reason.strip()
    if not reason:
        raise ModerationError("reason_required", "Give a reason for the disqualification (--reason TEXT).")
    submission = competition_submission(session, competition, submission_id)
    if submission.status == SubmissionStatus.DISQUALIFIED:
        raise ModerationError("already_disqualified", f"Submission {submission_id} is already disqualified.")
    summary = describe(session, submission)
    submission.status = SubmissionStatus.DISQUALIFIED
    submission.disqualified_reason = reason
    session.flush()
    rerank(session, submission.competition_id)  # the stored ranks with ties follow the board
    audit.record(session, "disqualify", competition, {
        "submission_id": submission.id, "participant": summary.participant, "label": summary.label,
        "rank_before": summary.rank, "status_before": summary.status, "reason": reason}, actor=actor)
    return submission


def reinstate_submission(session: Session, competition: Competition, submission_id: int,
                         actor: str | None = None) -> Submission:
    """Undo a disqualification: the status again mirrors its evaluation on the current hidden set."""
    submission = competition_submission(session, competition, submission_id)
    if submission.status != SubmissionStatus.DISQUALIFIED:
        raise ModerationError("not_disqualified", f"Submission {submission_id} is not disqualified.")
    if submission.is_rehearsal:
        raise ModerationError("rehearsal", f"Submission {submission_id} was a rehearsal upload to the draft; "
                                           "it never joins the board.")
    evaluation = session.scalar(
        select(Evaluation)
        .where(Evaluation.submission_id == submission.id, EvaluationTarget.of(competition).condition())
        .order_by(Evaluation.id.desc())
    )
    if evaluation is None:
        # Its status would have to come from some other dataset version's evaluation, which
        # is not what the board counts: the organizer evaluates it on the current one first.
        raise ModerationError(
            "not_evaluated",
            f"Submission {submission_id} has no evaluation on the competition's current hidden dataset "
            f"and scorer; run `stylearena rescore {competition.slug}` first, then reinstate it.")
    reason = submission.disqualified_reason
    submission.status = _FROM_EVALUATION[evaluation.status]
    submission.disqualified_reason = None
    session.flush()
    rerank(session, submission.competition_id)  # the stored ranks with ties follow the board
    audit.record(session, "reinstate", competition, {
        "submission_id": submission.id, "participant": submission.owner.username, "label": submission.label,
        "status_after": submission.status, "previous_reason": reason}, actor=actor)
    return submission
