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

from arena.core.enums import DatasetSplit
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
    # The worker's metric suite is not the scorer the evaluation targets.
    SCORER_MISMATCH = "scorer_mismatch"


# Scoring errors about the benchmark's own files, not the outputs: the organizer must act.
DATASET_SCORING_CODES = frozenset({"too_few_images", "bad_pairs", "missing_input"})

# What a participant reads when the platform gave up: it is never their fault.
PLATFORM_MESSAGE = (
    "The platform could not evaluate this submission ({code}) after {attempts} attempt(s). "
    "It does not count against your daily quota; the organizers have been notified and you "
    "may upload it again."
)


class EvaluationFault(Exception):
    """A failure of one evaluation attempt, built once with everything it carries.

    Attributes:
        code: stable failure category.
        message: what the participant reads; never text a generator produced on a hidden run.
        log: the public smoke run's (capped) log, shown to the owner; empty otherwise.
        detail: the full technical text (exception messages, file names), organizers only.
        split: the split whose run failed, when it was a run.
    """

    kind: FaultKind = FaultKind.PLATFORM

    def __init__(self, code: str, message: str, *, log: str = "", detail: str = "",
                 split: DatasetSplit | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.log = log
        self.detail = detail or message
        # The split whose run failed (None: not a run's failure, e.g. staging or the platform).
        self.split = split

    def __repr__(self) -> str:
        return f"{type(self).__name__}(code={self.code!r}, message={self.message!r})"


class ParticipantFault(EvaluationFault):
    """The submission is at fault; final, counted against the quota."""

    kind = FaultKind.PARTICIPANT


class PlatformFault(EvaluationFault):
    """The platform is at fault; retried, never counted against the quota."""

    kind = FaultKind.PLATFORM


# What a participant reads when their generator failed on the hidden run: fixed text per
# category. Exception messages, file names, image sizes and logs of a hidden run are the
# generator's own words about hidden data, so none of them reaches its owner (organizers
# read them in ``detail``).
HIDDEN_RUN_MESSAGES: dict[str, str] = {
    "load_failed": "The generator could not be loaded for the hidden run, though the public smoke run loaded it.",
    "generator_error": "The generator raised an error on the hidden run. Make sure it handles every image size and "
                       "aspect ratio, and content and style images of different sizes.",
    "timeout": "The generator did not finish the hidden run within its time limit. Check its speed on the public "
               "dev set against the limits in the participant guide.",
    "out_of_memory": "The generator ran out of memory on the hidden run; hidden images can be larger than the "
                     "smoke run's. Process large images in tiles or at a capped resolution.",
    "bad_output_shape": "On the hidden run the generator returned a tensor of the wrong shape: it must be "
                        "[B,3,H,W] at the content image's size.",
    "bad_output_type": "On the hidden run the generator returned something other than a float tensor.",
    "non_finite": "On the hidden run the generator returned NaN or infinite values.",
    "out_of_range": "On the hidden run the generator returned values outside [0, 1]. Outputs must be in [0, 1]; "
                    "if your model produces 0..255, divide by 255.",
    "abandoned": "On the hidden run the generator ended the harness itself (for example with os._exit or "
                 "sys.exit); return outputs from forward() instead.",
    "lingering_processes": "On the hidden run the generator left processes running that could not be stopped; "
                           "do not start background processes.",
}
HIDDEN_RUN_OUTPUT_MESSAGE = ("The generator's outputs on the hidden run broke the output contract ({code}): one "
                             "RGB PNG per pair at the content image's size. See the output contract in the guide.")
HIDDEN_RUN_DEFAULT_MESSAGE = ("The generator failed on the hidden run ({code}). Nothing the generator printed or "
                              "wrote during the hidden run is shown; reproduce the problem on the public dev set.")


def hidden_run_message(code: str) -> str:
    """The fixed participant text for a participant fault of ``code`` on the hidden run."""
    if code in HIDDEN_RUN_MESSAGES:
        return HIDDEN_RUN_MESSAGES[code]
    if code in OUTPUT_CODES:
        return HIDDEN_RUN_OUTPUT_MESSAGE.format(code=code)
    return HIDDEN_RUN_DEFAULT_MESSAGE.format(code=code)


# Output-contract categories (from output validation and scoring).
OUTPUT_CODES = frozenset({
    "missing_output", "extra_output", "symlink", "not_png", "too_large", "not_rgb", "wrong_size",
    "corrupt_output", "unreadable_output", "unreadable_image", "invalid_output", "bad_report",
})


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
        return fault_cls(exc.code, exc.message, log=exc.log, detail=_with_log(exc.message, exc.log))
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


def _with_log(message: str, log: str, tail: int = 4000) -> str:
    return f"{message}\n--- log (tail) ---\n{log[-tail:]}" if log else message


def fault_on_split(exc: BaseException, split: DatasetSplit, public_log_chars: int) -> EvaluationFault | LeaseLost | None:
    """``classify``, then shape what the participant may see for a run on ``split``.

    A participant fault on the public smoke run keeps its message (prefixed) and its capped
    log. On the hidden run the message becomes the category's fixed text and the log is
    dropped; the original text stays in ``detail`` for organizers. Platform faults, a lost
    lease and unknown exceptions pass through unchanged.
    """
    fault = classify(exc)
    if not isinstance(fault, ParticipantFault):
        return fault
    if split is DatasetSplit.PUBLIC:
        return ParticipantFault(fault.code, f"Public smoke run: {fault.message}",
                                log=truncate_log(fault.log, public_log_chars), detail=fault.detail, split=split)
    return ParticipantFault(fault.code, hidden_run_message(fault.code), detail=fault.detail, split=split)


def truncate_log(log: str, limit: int) -> str:
    """Keep the head and the tail of a long log, marking the cut."""
    if len(log) <= limit:
        return log
    half = limit // 2
    return f"{log[:half]}\n... [{len(log) - limit} characters cut] ...\n{log[-half:]}"
