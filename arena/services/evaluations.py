"""Creating evaluation rows (the queue delivery is ``evaluator.dispatch.enqueue_evaluation``)."""
from __future__ import annotations

from sqlalchemy.orm import Session

from arena.core.enums import EvaluationKind, EvaluationStatus
from arena.core.models import DatasetVersion, Evaluation, Submission, utcnow


def create_evaluation(
    session: Session,
    submission: Submission,
    dataset_version: DatasetVersion,
    scorer_version: str,
    kind: EvaluationKind = EvaluationKind.INITIAL,
) -> Evaluation:
    """Add a queued evaluation of ``submission`` on ``dataset_version``/``scorer_version`` (flushed, not committed)."""
    evaluation = Evaluation(
        submission=submission,
        dataset_version_id=dataset_version.id,
        scorer_version=scorer_version,
        kind=kind,
        status=EvaluationStatus.QUEUED,
        attempt=0,
        enqueued_at=utcnow(),
        provenance={},
        timings={},
    )
    session.add(evaluation)
    session.flush()
    return evaluation
