"""A submission's status and scores as JSON (the poller and the API share this shape)."""
from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, object_session

from arena.core.enums import EvaluationStatus, SubmissionStatus
from arena.core.models import Evaluation, Submission, utcnow
from arena.services.results import round_score
from arena.web.public.queries import current_evaluation


# What the owner's page shows for each step of a running attempt (``evaluator.pipeline.STEPS``).
STEP_OF_ATTEMPT = {None: "starting", "smoke": "smoke_run", "stage": "hidden_run", "run": "hidden_run",
                   "metrics": "scoring"}
# The steps in the order the page's tracker draws them.
TRACKER_STEPS = ("queued", "smoke_run", "hidden_run", "scoring", "scored")


def live_step(sub: Submission, evaluation: Evaluation | None) -> str:
    """Where the submission is: queued, starting, smoke_run, hidden_run, scoring, or its final status."""
    if sub.status.is_final:
        return sub.status.value
    if sub.status is SubmissionStatus.QUEUED or evaluation is None or evaluation.status is EvaluationStatus.QUEUED:
        return "queued"
    return STEP_OF_ATTEMPT.get(evaluation.step, "starting")


def queue_position(session: Session, evaluation: Evaluation | None) -> int | None:
    """1 + the queued evaluations delivered before this one (the workers take them in order)."""
    if evaluation is None or evaluation.status is not EvaluationStatus.QUEUED or evaluation.enqueued_at is None:
        return None
    ahead = session.scalar(sa.select(sa.func.count(Evaluation.id)).where(
        Evaluation.status == EvaluationStatus.QUEUED, Evaluation.enqueued_at < evaluation.enqueued_at)) or 0
    return int(ahead) + 1


def submission_status(sub: Submission) -> dict[str, Any]:
    """Status, live step, error and (when scored) scores with provenance of one submission."""
    evaluation = current_evaluation(sub)
    session = object_session(sub)
    running = evaluation is not None and evaluation.status is EvaluationStatus.RUNNING and evaluation.started_at
    elapsed = (utcnow() - evaluation.started_at).total_seconds() if running else None
    # At the precision ranking needs, never sixteen digits (see arena.services.results).
    scores = {s.metric: round_score(s.value) for s in evaluation.scores} if evaluation else {}
    calibrated = bool(evaluation and evaluation.scores and all(s.calibrated for s in evaluation.scores))
    return {
        "id": sub.id,
        "competition": sub.competition.slug,
        "label": sub.label,
        "filename": sub.original_filename,
        "format": sub.format.value,
        "status": sub.status.value,
        "final": sub.status.is_final,
        "step": live_step(sub, evaluation),
        "queue_position": queue_position(session, evaluation) if session is not None else None,
        "elapsed_s": round(elapsed, 1) if elapsed is not None else None,
        "error": {"code": sub.error_code, "message": sub.error_message} if sub.error_code else None,
        # The organizers' reason, shown to the owner (issue 19); None unless disqualified.
        "disqualified_reason": sub.disqualified_reason if sub.status is SubmissionStatus.DISQUALIFIED else None,
        "baseline": bool(sub.is_baseline),
        "rehearsal": bool(sub.is_rehearsal),
        # Marked by its owner as a final submission (issue 15). Not "final": that one says stop polling.
        "marked_final": sub.marked_final_at is not None,
        "marked_final_at": sub.marked_final_at.isoformat() if sub.marked_final_at else None,
        "submitted_at": sub.created_at.isoformat(),
        "updated_at": sub.updated_at.isoformat() if sub.updated_at else None,
        "scores": scores,
        "calibrated": calibrated,
        "dataset_version": evaluation.dataset_version.manifest_sha256 if evaluation else None,
        "scorer_version": evaluation.scorer_version if evaluation else None,
    }

