"""Claiming evaluations with a fencing token, extending leases, and fenced final writes.

``Evaluation.attempt`` is the fencing token. A worker claims a row with one conditional
UPDATE (queued -> running, attempt + 1, lease owner and expiry) and proceeds only if that
UPDATE changed a row. Every later write of the attempt is conditioned on (status running,
the attempt it claimed, its lease owner), so a late write from an orphaned run — whose row
the reconciler has re-queued or another worker has re-claimed — changes nothing.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from arena.core.db import transaction
from arena.core.enums import DatasetSplit, EvaluationStatus, SubmissionStatus
from arena.core.models import Competition, Evaluation, EvaluationEfficiency, PrivateScore, Score, ScoreReplicate, Submission, utcnow
from arena.core.target import EvaluationTarget
from evaluator.errors import PLATFORM_MESSAGE, EvaluationFault, FaultKind
from evaluator.statistics.board import bump_board_revision, rerank_after_score

_NO_SYNC = {"synchronize_session": False}


@dataclass(frozen=True)
class Claim:
    """A won claim: the evaluation, the attempt (fencing token) and the lease."""

    evaluation_id: int
    attempt: int
    owner: str
    expires_at: datetime


@dataclass(frozen=True)
class ScoreValue:
    """One metric value to record (kept free of ORM objects so it can cross threads)."""

    metric: str
    value: float
    definition_version: str
    calibrated: bool
    ci_low: float | None = None
    ci_high: float | None = None
    # The bootstrap replicates (``evaluator.statistics.ranking.encode``), None for a metric without.
    replicates: bytes | None = None


@dataclass(frozen=True)
class ScoredResult:
    """Everything the final, fenced write of a successful attempt stores."""

    scores: tuple[ScoreValue, ...]
    per_pair: dict[str, dict[str, float]]
    provenance: dict[str, Any]
    outputs_sha256: str
    public_log: str | None = None
    public_outputs_sha256: str | None = None
    # The hidden run's measured cost (``EvaluationEfficiency`` columns); None when not measured.
    efficiency: dict[str, Any] | None = None
    # On a version split into boards: the private board's numbers (``arena.core.models.PrivateScore``).
    private_scores: tuple[ScoreValue, ...] = ()


def _fenced(claim: Claim):
    """The WHERE clause every write of an attempt carries."""
    return (
        Evaluation.id == claim.evaluation_id,
        Evaluation.status == EvaluationStatus.RUNNING,
        Evaluation.attempt == claim.attempt,
        Evaluation.lease_owner == claim.owner,
    )


def claim_evaluation(
    factory: sessionmaker[Session], evaluation_id: int, owner: str, lease_seconds: int, max_attempts: int
) -> Claim | None:
    """Claim a queued evaluation for ``owner``; None if another worker has it or it is done."""
    now = utcnow()
    expires = now + timedelta(seconds=lease_seconds)
    with transaction(factory) as session:
        row = session.execute(
            sa.update(Evaluation)
            .where(
                Evaluation.id == evaluation_id,
                Evaluation.status == EvaluationStatus.QUEUED,
                Evaluation.attempt < max_attempts,
            )
            .values(
                status=EvaluationStatus.RUNNING,
                attempt=Evaluation.attempt + 1,
                lease_owner=owner,
                lease_expires_at=expires,
                started_at=now,
                step=None,
            )
            .returning(Evaluation.attempt),
            execution_options=_NO_SYNC,
        ).first()
        if row is None:
            return None
        _sync_submission(session, evaluation_id)
    return Claim(evaluation_id=evaluation_id, attempt=row[0], owner=owner, expires_at=expires)


def extend_lease(factory: sessionmaker[Session], claim: Claim, lease_seconds: int) -> datetime | None:
    """Push the lease forward; the new expiry, or None if the attempt has been fenced off."""
    expires = utcnow() + timedelta(seconds=lease_seconds)
    with transaction(factory) as session:
        result = session.execute(
            sa.update(Evaluation).where(*_fenced(claim)).values(lease_expires_at=expires),
            execution_options=_NO_SYNC,
        )
        return expires if result.rowcount == 1 else None


def record_step(factory: sessionmaker[Session], claim: Claim, step: str) -> bool:
    """Note the step the attempt is in (fenced, like every write); False if it was fenced off."""
    with transaction(factory) as session:
        return session.execute(
            sa.update(Evaluation).where(*_fenced(claim)).values(step=step), execution_options=_NO_SYNC
        ).rowcount == 1


def finish_scored(factory: sessionmaker[Session], claim: Claim, result: ScoredResult,
                  timings: dict[str, float]) -> bool:
    """Write scores, per-pair values, provenance and status in one fenced transaction.

    Returns False (and writes nothing) when the attempt no longer owns the evaluation.
    """
    with transaction(factory) as session:
        updated = session.execute(
            sa.update(Evaluation)
            .where(*_fenced(claim))
            .values(
                status=EvaluationStatus.SCORED,
                finished_at=utcnow(),
                lease_expires_at=None,
                error_code=None,
                error_message=None,
                error_detail=None,
                outputs_sha256=result.outputs_sha256,
                per_pair=result.per_pair,
                provenance=result.provenance,
                timings=timings,
            ),
            execution_options=_NO_SYNC,
        ).rowcount
        if updated != 1:
            session.rollback()
            return False
        session.add_all(
            Score(
                evaluation_id=claim.evaluation_id,
                metric=s.metric,
                value=s.value,
                ci_low=s.ci_low,
                ci_high=s.ci_high,
                definition_version=s.definition_version,
                calibrated=s.calibrated,
            )
            for s in result.scores
        )
        session.add_all(
            ScoreReplicate(evaluation_id=claim.evaluation_id, metric=s.metric, data=s.replicates,
                           resamples=len(s.replicates) // 4)
            for s in result.scores if s.replicates is not None
        )
        session.add_all(
            PrivateScore(evaluation_id=claim.evaluation_id, metric=s.metric, value=s.value, ci_low=s.ci_low,
                         ci_high=s.ci_high, definition_version=s.definition_version, calibrated=s.calibrated,
                         replicates=s.replicates)
            for s in result.private_scores
        )
        if result.efficiency is not None:
            session.add(EvaluationEfficiency(evaluation_id=claim.evaluation_id, **result.efficiency))
        _sync_submission(session, claim.evaluation_id, result.public_log, result.public_outputs_sha256)
    # After the commit: the ranks with ties read the score just written (issue 13).
    rerank_after_score(factory, claim.evaluation_id)
    return True



def finish_failed(
    factory: sessionmaker[Session],
    claim: Claim,
    fault: EvaluationFault,
    max_attempts: int,
    timings: dict[str, float] | None = None,
) -> EvaluationStatus | None:
    """Record a failed attempt (fenced): final for a participant fault, a retry for a platform one.

    A platform fault re-queues the evaluation while attempts remain and fails it with the
    platform code after that. Returns the new status, or None if the attempt was fenced off.
    """
    now = utcnow()
    code, message, kind = fault.code, fault.message, fault.kind
    values: dict[str, Any] = {"lease_expires_at": None, "lease_owner": None, "error_code": code,
                              "error_detail": fault.detail}
    if timings:
        values["timings"] = timings
    if kind is FaultKind.PARTICIPANT:
        values.update(status=EvaluationStatus.FAILED, finished_at=now, error_message=message)
    elif claim.attempt < max_attempts:
        values.update(status=EvaluationStatus.QUEUED, enqueued_at=now, error_message=message,
                      platform_faults=Evaluation.platform_faults + 1)
    else:
        values.update(status=EvaluationStatus.FAILED, finished_at=now,
                      platform_faults=Evaluation.platform_faults + 1,
                      error_message=PLATFORM_MESSAGE.format(code=code, attempts=claim.attempt))
    with transaction(factory) as session:
        updated = session.execute(
            sa.update(Evaluation).where(*_fenced(claim)).values(**values), execution_options=_NO_SYNC
        ).rowcount
        if updated != 1:
            session.rollback()
            return None
        _sync_submission(session, claim.evaluation_id, fault.log or None, None,
                         platform_failure=kind is FaultKind.PLATFORM,
                         smoke_failure=kind is FaultKind.PARTICIPANT and fault.split is DatasetSplit.PUBLIC)
    return values["status"]


def expire_lease(session: Session, evaluation: Evaluation, max_attempts: int, code: str) -> EvaluationStatus | None:
    """Take back an expired lease (reconciler): re-queue, or fail after the last attempt.

    Conditioned on the attempt and the expiry the caller saw, so a worker that renews its
    lease at the same moment keeps it. Returns the new status, or None if nothing changed.
    """
    now = utcnow()
    final = evaluation.attempt >= max_attempts
    values: dict[str, Any] = {
        "lease_owner": None,
        "lease_expires_at": None,
        "error_code": code,
        "platform_faults": Evaluation.platform_faults + 1,
    }
    if final:
        values.update(status=EvaluationStatus.FAILED, finished_at=now,
                      error_message=PLATFORM_MESSAGE.format(code=code, attempts=evaluation.attempt))
    else:
        values.update(status=EvaluationStatus.QUEUED, enqueued_at=now,
                      error_message="The worker running this evaluation stopped; it was queued again.")
    updated = session.execute(
        sa.update(Evaluation)
        .where(
            Evaluation.id == evaluation.id,
            Evaluation.status == EvaluationStatus.RUNNING,
            Evaluation.attempt == evaluation.attempt,
            Evaluation.lease_expires_at < now,
        )
        .values(**values),
        execution_options=_NO_SYNC,
    ).rowcount
    if updated != 1:
        return None
    _sync_submission(session, evaluation.id, platform_failure=True)
    return values["status"]


def _sync_submission(
    session: Session,
    evaluation_id: int,
    public_log: str | None = None,
    public_outputs_sha256: str | None = None,
    platform_failure: bool = False,
    smoke_failure: bool = False,
) -> None:
    """Mirror an evaluation's state onto its submission when it is the competition's current target.

    A submission's status follows the evaluation on its competition's current hidden dataset
    and scorer version; rescores on other versions never change it. A disqualified submission
    keeps its status. A final platform failure releases the participant's quota, and so does
    a failure on the public smoke run (catching those is what the smoke run is for; they have
    their own, larger daily cap, ``arena.services.submissions.smoke_failure_cap``).
    """
    row = session.execute(
        sa.select(Evaluation.status, Evaluation.error_code, Evaluation.error_message,
                  Evaluation.dataset_version_id, Evaluation.scorer_version,
                  Submission.id, Submission.status, Competition.hidden_dataset_id, Competition.scorer_version,
                  Competition.id)
        .join(Submission, Submission.id == Evaluation.submission_id)
        .join(Competition, Competition.id == Submission.competition_id)
        .where(Evaluation.id == evaluation_id)
    ).one()
    (status, code, message, dataset_id, scorer,
     submission_id, sub_status, current_dataset, current_scorer, competition_id) = row
    values: dict[str, Any] = {}
    if public_log is not None:
        values["public_log"] = public_log
    if public_outputs_sha256 is not None:
        values["public_outputs_sha256"] = public_outputs_sha256
    is_current = EvaluationTarget(current_dataset, current_scorer).matches(dataset_id, scorer)
    if is_current and sub_status is not SubmissionStatus.DISQUALIFIED:
        values["status"] = SubmissionStatus(status.value)
        failed = status is EvaluationStatus.FAILED
        values["error_code"] = code if failed else None
        values["error_message"] = message if failed else None
        if failed and platform_failure:
            # The platform gave up; the participant's upload must not cost them quota.
            values["counts_against_quota"] = False
        if failed and smoke_failure:
            values["counts_against_quota"] = False
            values["failed_on_smoke"] = True
    if values:
        values["updated_at"] = utcnow()
        session.execute(sa.update(Submission).where(Submission.id == submission_id).values(**values),
                        execution_options=_NO_SYNC)
    if SubmissionStatus.SCORED in (values.get("status"), sub_status):
        bump_board_revision(session, competition_id)  # the board shows (or stops showing) this entry
