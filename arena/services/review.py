"""What an organizer reviews of one submission: every evaluation with its full technical detail.

Organizers only (the admin page and ``stylearena submission show``). Unlike every
participant-facing view, this includes ``Evaluation.error_detail`` (the raw failure text of a
hidden run), timings and provenance, so it must never be rendered for anyone else.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from arena.core.models import Evaluation, Submission
from arena.core.target import EvaluationTarget
from arena.services.moderation import get_submission


@dataclass(frozen=True)
class EvaluationReview:
    """One evaluation of a submission as an organizer sees it."""

    id: int
    kind: str
    status: str
    counts: bool  # on the competition's current hidden version and scorer: what the board shows
    dataset_version_id: int
    dataset_name: str
    dataset_sha256: str
    scorer_version: str
    attempt: int
    platform_faults: int
    lease_owner: str | None
    enqueued_at: datetime | None
    started_at: datetime | None
    finished_at: datetime | None
    error_code: str | None
    error_message: str | None
    error_detail: str | None
    scores: dict[str, float]
    timings: dict[str, Any]
    provenance: dict[str, Any]


@dataclass(frozen=True)
class SubmissionReview:
    """A submission, its owner and competition, and all of its evaluations, oldest first."""

    id: int
    competition: str
    owner: str
    label: str
    original_filename: str
    format: str
    sha256: str
    size_bytes: int
    status: str
    error_code: str | None
    error_message: str | None
    disqualified_reason: str | None
    counts_against_quota: bool
    is_baseline: bool
    created_at: datetime
    has_public_log: bool
    evaluations: tuple[EvaluationReview, ...]

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict (timestamps as ISO 8601 strings)."""
        return _iso(asdict(self))


def submission_review(session: Session, submission_id: int) -> SubmissionReview:
    """Everything recorded about ``submission_id``; raises NotFound."""
    submission: Submission = get_submission(session, submission_id)
    target = EvaluationTarget.of(submission.competition)
    return SubmissionReview(
        id=submission.id,
        competition=submission.competition.slug,
        owner=submission.owner.username,
        label=submission.label or "",
        original_filename=submission.original_filename,
        format=submission.format.value,
        sha256=submission.sha256,
        size_bytes=submission.size_bytes,
        status=submission.status.value,
        error_code=submission.error_code,
        error_message=submission.error_message,
        disqualified_reason=submission.disqualified_reason,
        counts_against_quota=bool(submission.counts_against_quota),
        is_baseline=bool(submission.is_baseline),
        created_at=submission.created_at,
        has_public_log=bool(submission.public_log),
        evaluations=tuple(_evaluation_review(e, target) for e in submission.evaluations),
    )


def _evaluation_review(evaluation: Evaluation, target: EvaluationTarget) -> EvaluationReview:
    version = evaluation.dataset_version
    return EvaluationReview(
        id=evaluation.id,
        kind=evaluation.kind.value,
        status=evaluation.status.value,
        counts=target.counts(evaluation),
        dataset_version_id=evaluation.dataset_version_id,
        dataset_name=version.name,
        dataset_sha256=version.manifest_sha256,
        scorer_version=evaluation.scorer_version,
        attempt=evaluation.attempt,
        platform_faults=evaluation.platform_faults,
        lease_owner=evaluation.lease_owner,
        enqueued_at=evaluation.enqueued_at,
        started_at=evaluation.started_at,
        finished_at=evaluation.finished_at,
        error_code=evaluation.error_code,
        error_message=evaluation.error_message,
        error_detail=evaluation.error_detail,
        # Full precision: organizers check ties and reproductions here.
        scores={s.metric: s.value for s in sorted(evaluation.scores, key=lambda s: s.metric)},
        timings=dict(evaluation.timings or {}),
        provenance=dict(evaluation.provenance or {}),
    )


def _iso(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _iso(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_iso(v) for v in value]
    return value
