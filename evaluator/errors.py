"""The evaluation pipeline's failure taxonomy: whose fault a failure is decides what happens.

* A **participant fault** (invalid upload, crash, timeout, OOM, invalid outputs) ends the
  evaluation ``failed`` with a stable code and an actionable message, and the upload counts
  against the participant's daily quota.
* A **platform fault** (Docker unavailable, database or Redis errors, a dead worker, a
  metrics-engine failure) is retried up to ``settings.max_attempts``; only when the retries
  are spent does the evaluation end ``failed`` with the platform code, and then the upload
  does not count against the quota.
* A **lost lease** is neither: another attempt owns the evaluation now, so this run must
  stop and write nothing.
"""
from __future__ import annotations

from enum import Enum

import redis.exceptions
import sqlalchemy.exc

from sandbox.errors import RunAborted, SandboxError


class FaultKind(str, Enum):
    """Who has to act on a failure."""

    PARTICIPANT = "participant"
    PLATFORM = "platform"


class PlatformCode(str, Enum):
    """Stable codes of platform faults (participant codes come from the sandbox and metrics)."""

    WORKER_LOST = "worker_lost"
    DATABASE_UNAVAILABLE = "database_unavailable"
    QUEUE_UNAVAILABLE = "queue_unavailable"
    STORAGE_ERROR = "storage_error"
    DATASET_UNAVAILABLE = "dataset_unavailable"
    SUBMISSION_MISSING = "submission_missing"
    INTERNAL_ERROR = "internal_error"


# Scoring errors about the benchmark's own files, not the outputs: the organizer must act.
DATASET_SCORING_CODES = frozenset({"too_few_images", "bad_pairs", "missing_input"})

# What a participant reads when the platform gave up: it is never their fault.
PLATFORM_MESSAGE = (
    "The platform could not evaluate this submission ({code}) after {attempts} attempt(s). "
    "It does not count against your daily quota; the organizers have been notified and you "
    "may upload it again."
)


class EvaluationFault(Exception):
    """A failure of one evaluation attempt with a stable ``code`` and a user-safe ``message``."""

    kind: FaultKind = FaultKind.PLATFORM

    def __init__(self, code: str, message: str, *, log: str = "") -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        # The public smoke run's (capped) log, shown to the owner; empty for hidden runs.
        self.log = log

    def __repr__(self) -> str:
        return f"{type(self).__name__}(code={self.code!r}, message={self.message!r})"


class ParticipantFault(EvaluationFault):
    """The submission is at fault; final, counted against the quota."""

    kind = FaultKind.PARTICIPANT


class PlatformFault(EvaluationFault):
    """The platform is at fault; retried, never counted against the quota."""

    kind = FaultKind.PLATFORM


class LeaseLost(Exception):
    """This attempt no longer owns its evaluation (fenced off); stop and write nothing."""


def classify(exc: BaseException) -> EvaluationFault | LeaseLost | None:
    """Map an exception raised by a pipeline step to the taxonomy, or None if it is unknown.

    Unknown exceptions are bugs: the caller records them as ``internal_error`` platform faults
    and re-raises them, so that RQ keeps the traceback.
    """
    # Imported here: the metrics package loads torch, which the reconciler and the CLI need not.
    from evaluator.metrics.errors import MetricComputationError, ScoringError  # noqa: PLC0415

    if isinstance(exc, (EvaluationFault, LeaseLost)):
        return exc
    if isinstance(exc, RunAborted):
        return LeaseLost(str(exc))
    if isinstance(exc, SandboxError):
        fault_cls = PlatformFault if exc.platform_fault else ParticipantFault
        return fault_cls(exc.code, exc.message, log=exc.log)
    if isinstance(exc, ScoringError):
        if exc.code in DATASET_SCORING_CODES:
            return PlatformFault(PlatformCode.DATASET_UNAVAILABLE.value, exc.message)
        return ParticipantFault(exc.code, exc.message)
    if isinstance(exc, MetricComputationError):
        return PlatformFault(exc.code, exc.message)
    if isinstance(exc, sqlalchemy.exc.OperationalError | sqlalchemy.exc.InterfaceError):
        return PlatformFault(PlatformCode.DATABASE_UNAVAILABLE.value, "The database was unavailable.")
    if isinstance(exc, redis.exceptions.ConnectionError | redis.exceptions.TimeoutError):
        return PlatformFault(PlatformCode.QUEUE_UNAVAILABLE.value, "The queue was unavailable.")
    if isinstance(exc, OSError):
        return PlatformFault(PlatformCode.STORAGE_ERROR.value, "The platform's storage failed.")
    return None
