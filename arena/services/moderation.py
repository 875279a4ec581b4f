"""Organizer moderation of submissions: disqualifying and reinstating them."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from arena.core.enums import EvaluationStatus, SubmissionStatus
from arena.core.errors import ArenaError, NotFound
from arena.core.models import Evaluation, Submission
from arena.core.target import EvaluationTarget
from evaluator.statistics.board import rerank

_FROM_EVALUATION = {
    EvaluationStatus.QUEUED: SubmissionStatus.QUEUED,
    EvaluationStatus.RUNNING: SubmissionStatus.RUNNING,
    EvaluationStatus.SCORED: SubmissionStatus.SCORED,
    EvaluationStatus.FAILED: SubmissionStatus.FAILED,
}


class ModerationError(ArenaError):
    """A moderation action that does not apply to the submission as it is."""


def get_submission(session: Session, submission_id: int) -> Submission:
    """The submission with this id; raises NotFound."""
    submission = session.get(Submission, submission_id)
    if submission is None:
        raise NotFound("no_such_submission", f"No submission with id {submission_id}.")
    return submission


def disqualify_submission(session: Session, submission_id: int, reason: str) -> Submission:
    """Take a submission off the board with a reason; its evaluations and scores are kept."""
    reason = reason.strip()
    if not reason:
        raise ModerationError("reason_required", "Give a reason for the disqualification.")
    submission = get_submission(session, submission_id)
    if submission.status == SubmissionStatus.DISQUALIFIED:
        raise ModerationError("already_disqualified", f"Submission {submission_id} is already disqualified.")
    submission.status = SubmissionStatus.DISQUALIFIED
    submission.disqualified_reason = reason
    session.flush()
    rerank(session, submission.competition_id)  # the stored ranks with ties follow the board
    return submission


def reinstate_submission(session: Session, submission_id: int) -> Submission:
    """Undo a disqualification: the status again mirrors its evaluation on the current hidden set."""
    submission = get_submission(session, submission_id)
    if submission.status != SubmissionStatus.DISQUALIFIED:
        raise ModerationError("not_disqualified", f"Submission {submission_id} is not disqualified.")
    competition = submission.competition
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
    submission.status = _FROM_EVALUATION[evaluation.status]
    submission.disqualified_reason = None
    session.flush()
    rerank(session, submission.competition_id)  # the stored ranks with ties follow the board
    return submission
