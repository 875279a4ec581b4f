"""A submission's status and scores as JSON (the poller and the API share this shape)."""
from __future__ import annotations

from typing import Any

from arena.core.models import Submission
from arena.web.public.queries import current_evaluation


def submission_status(sub: Submission) -> dict[str, Any]:
    """Status, error and (when scored) scores with provenance of one submission."""
    evaluation = current_evaluation(sub)
    scores = {s.metric: s.value for s in evaluation.scores} if evaluation else {}
    calibrated = bool(evaluation and evaluation.scores and all(s.calibrated for s in evaluation.scores))
    return {
        "id": sub.id,
        "competition": sub.competition.slug,
        "label": sub.label,
        "filename": sub.original_filename,
        "format": sub.format.value,
        "status": sub.status.value,
        "final": sub.status.is_final,
        "error": {"code": sub.error_code, "message": sub.error_message} if sub.error_code else None,
        "submitted_at": sub.created_at.isoformat(),
        "updated_at": sub.updated_at.isoformat() if sub.updated_at else None,
        "scores": scores,
        "calibrated": calibrated,
        "dataset_version": evaluation.dataset_version.manifest_sha256 if evaluation else None,
        "scorer_version": evaluation.scorer_version if evaluation else None,
    }
