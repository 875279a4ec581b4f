"""One attempt at an evaluation: claim, keep the lease, run the pipeline, record the outcome.

This is the only place that maps failures to outcomes: participant faults end the evaluation,
platform faults re-queue it (until the attempts are spent), a lost lease writes nothing, and an
unknown exception is recorded as an ``internal_error`` platform fault and re-raised so that RQ
keeps its traceback.
"""
from __future__ import annotations

import logging
import shutil
import threading
import time
import uuid
from enum import Enum

from arena.core.enums import EvaluationStatus
from evaluator import dispatch
from evaluator.claim import claim_evaluation, finish_failed, finish_scored, record_step
from evaluator.context import WorkerContext
from evaluator.errors import EvaluationFault, LeaseLost, PlatformCode, PlatformFault, classify
from evaluator.heartbeat import LeaseKeeper
from evaluator.pipeline import Timings, evaluate, load_task

log = logging.getLogger(__name__)


class AttemptOutcome(str, Enum):
    """How one delivery of an evaluation id ended."""

    NOT_CLAIMED = "not_claimed"  # another worker has it, or it is already done: a duplicate
    SCORED = "scored"
    FAILED = "failed"
    REQUEUED = "requeued"  # a platform fault with attempts left
    FENCED = "fenced"  # the lease was lost: a newer attempt owns the evaluation


def run_attempt(context: WorkerContext, evaluation_id: int) -> AttemptOutcome:
    """Claim ``evaluation_id`` and carry one attempt through to a recorded outcome."""
    settings = context.settings
    factory = context.session_factory()
    claim = claim_evaluation(factory, evaluation_id, context.worker_name, settings.lease_seconds,
                             settings.max_attempts)
    if claim is None:
        log.info("evaluation %s not claimable (duplicate delivery or finished)", evaluation_id)
        return AttemptOutcome.NOT_CLAIMED
    log.info("evaluation %s attempt %s claimed by %s", evaluation_id, claim.attempt, claim.owner)
    abort = threading.Event()
    work_dir = settings.work_dir / f"{evaluation_id}-{claim.attempt}-{uuid.uuid4().hex[:8]}"
    timings = Timings(on_step=lambda step: record_step(factory, claim, step))
    started = time.monotonic()
    try:
        with LeaseKeeper(factory, claim, settings.lease_seconds, abort):
            try:
                task = load_task(factory, evaluation_id, settings)
                work_dir.mkdir(parents=True)
                result = evaluate(context, task, claim, work_dir, abort, timings)
                timings.record("total", time.monotonic() - started)
                recorded = finish_scored(factory, claim, result, timings.as_dict())
            except Exception as exc:  # noqa: BLE001 - classified below; unknown ones re-raised
                fault = classify(exc)
                if isinstance(fault, LeaseLost) or abort.is_set():
                    log.warning("evaluation %s attempt %s fenced off: %s", evaluation_id, claim.attempt, exc)
                    return AttemptOutcome.FENCED
                timings.record("total", time.monotonic() - started)
                if fault is None:
                    _record_fault(context, claim, PlatformFault(PlatformCode.INTERNAL_ERROR.value,
                                                                "An internal error stopped the evaluation."), timings)
                    raise
                return _record_fault(context, claim, fault, timings)
        if not recorded:
            log.warning("evaluation %s attempt %s: late result discarded (fenced)", evaluation_id, claim.attempt)
            return AttemptOutcome.FENCED
        dispatch.announce_outcome(settings, evaluation_id)
        return AttemptOutcome.SCORED
    finally:
        shutil.rmtree(work_dir, ignore_errors=True)


def retry_delay(base_s: float, attempt: int, cap_s: float = 60.0) -> float:
    """Seconds to wait before re-delivering after the ``attempt``-th attempt hit a platform fault."""
    return min(cap_s, base_s * 2 ** max(0, attempt - 1))


def _record_fault(context: WorkerContext, claim, fault: EvaluationFault, timings: Timings) -> AttemptOutcome:
    """Record a classified fault (fenced) and re-deliver the evaluation if it was re-queued."""
    settings = context.settings
    status = finish_failed(context.session_factory(), claim, fault, settings.max_attempts, timings=timings.as_dict())
    log.info("evaluation %s attempt %s: %s fault %s -> %s", claim.evaluation_id, claim.attempt,
             fault.kind.value, fault.code, status)
    if status is None:
        return AttemptOutcome.FENCED
    if status is EvaluationStatus.QUEUED:
        # A platform fault (Docker restarting, a database failover) usually lasts seconds:
        # wait a little, longer after each attempt, rather than spend every retry at once.
        # This worker could not evaluate anything else meanwhile anyway.
        time.sleep(retry_delay(settings.retry_backoff_s, claim.attempt))
        # If Redis is down too, the reconciler delivers it later: the row is queued.
        dispatch.enqueue_evaluation(settings, claim.evaluation_id, claim.attempt)
        return AttemptOutcome.REQUEUED
    dispatch.announce_outcome(settings, claim.evaluation_id)
    return AttemptOutcome.FAILED
