"""The reconciler: makes sure no evaluation is lost between SQL (the truth) and Redis (delivery).

Run by ``stylearena reconcile`` and periodically by every worker; several reconcilers at once
are safe, since every change is a conditional update and a duplicate delivery is a no-op.

1. Running evaluations whose lease expired (their worker died or hung): kill the attempt's
   labelled container, then re-queue the evaluation, or fail it with a platform code once
   ``settings.max_attempts`` are spent.
2. Evaluations queued for longer than a grace period with no live job in Redis (Redis was
   down at upload, or restarted empty): deliver them again.
3. Sandbox containers whose deadline passed: removed.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

import redis.exceptions
import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from arena.core.db import transaction
from arena.core.enums import EvaluationStatus
from arena.core.models import Evaluation, utcnow
from arena.core.settings import Settings
from evaluator import dispatch
from evaluator.claim import expire_lease
from evaluator.errors import PlatformCode
from sandbox.errors import SandboxUnavailable

log = logging.getLogger(__name__)

# A queued row younger than this is presumably still on its way through Redis.
DEFAULT_QUEUED_GRACE_S = 60.0


@dataclass(frozen=True)
class ReconcileReport:
    """What one reconcile pass did."""

    requeued: tuple[int, ...] = ()
    failed: tuple[int, ...] = ()
    redelivered: tuple[int, ...] = ()
    containers_killed: int = 0
    containers_swept: int = 0
    redis_available: bool = True
    docker_available: bool = True

    @property
    def changed(self) -> bool:
        """Whether the pass changed anything."""
        return bool(self.requeued or self.failed or self.redelivered or self.containers_killed
                    or self.containers_swept)

    def to_dict(self) -> dict[str, object]:
        """A JSON-ready summary (for the CLI)."""
        return {
            "requeued": list(self.requeued), "failed": list(self.failed), "redelivered": list(self.redelivered),
            "containers_killed": self.containers_killed, "containers_swept": self.containers_swept,
            "redis_available": self.redis_available, "docker_available": self.docker_available,
        }


def reconcile(
    settings: Settings,
    factory: sessionmaker[Session],
    queued_grace_s: float = DEFAULT_QUEUED_GRACE_S,
    sweep_containers: bool = True,
    now: datetime | None = None,
) -> ReconcileReport:
    """One reconcile pass (see the module docstring)."""
    now = now or utcnow()
    docker_ok = True
    killed = 0
    requeued: list[tuple[int, int]] = []
    failed: list[int] = []
    with transaction(factory) as session:
        expired = session.execute(
            sa.select(Evaluation.id, Evaluation.attempt).where(
                Evaluation.status == EvaluationStatus.RUNNING, Evaluation.lease_expires_at < now)
        ).all()
    for evaluation_id, attempt in expired:
        if docker_ok:
            try:
                killed += _kill_attempt_containers(settings, evaluation_id)
            except SandboxUnavailable as exc:
                # The sweeper removes it by its deadline label once Docker is back.
                log.warning("cannot kill containers of evaluation %s: %s", evaluation_id, exc.message)
                docker_ok = False
        with transaction(factory) as session:
            evaluation = session.get(Evaluation, evaluation_id)
            if evaluation is None or evaluation.attempt != attempt:
                continue
            status = expire_lease(session, evaluation, settings.max_attempts, PlatformCode.WORKER_LOST.value)
        if status is EvaluationStatus.QUEUED:
            requeued.append((evaluation_id, attempt))
        elif status is EvaluationStatus.FAILED:
            failed.append(evaluation_id)
        if status is not None:
            log.warning("evaluation %s attempt %s: lease expired -> %s", evaluation_id, attempt, status.value)

    redis_ok = True
    redelivered: list[int] = []
    for evaluation_id, attempt in requeued:
        redis_ok = dispatch.enqueue_evaluation(settings, evaluation_id, attempt) and redis_ok
    try:
        redelivered = _redeliver_stale(settings, factory, now - timedelta(seconds=queued_grace_s),
                                       {e for e, _ in requeued})
    except (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError) as exc:
        log.warning("reconcile: Redis unavailable, queued rows wait for the next pass: %s", exc)
        redis_ok = False

    swept = 0
    if sweep_containers and docker_ok:
        try:
            from sandbox.sweeper import sweep_expired  # noqa: PLC0415 - Docker SDK only when used

            swept = sweep_expired(settings.docker_host)
        except SandboxUnavailable as exc:
            log.warning("reconcile: Docker unavailable, containers not swept: %s", exc.message)
            docker_ok = False
    return ReconcileReport(
        requeued=tuple(e for e, _ in requeued), failed=tuple(failed), redelivered=tuple(redelivered),
        containers_killed=killed, containers_swept=swept, redis_available=redis_ok, docker_available=docker_ok,
    )


def _kill_attempt_containers(settings: Settings, evaluation_id: int) -> int:
    """Kill every container of an evaluation whose lease expired (its worker is gone)."""
    from sandbox.sweeper import kill_labelled  # noqa: PLC0415 - Docker SDK only when used

    return kill_labelled(settings.docker_host, evaluation_id=str(evaluation_id))


def _redeliver_stale(
    settings: Settings, factory: sessionmaker[Session], queued_before: datetime, skip: set[int]
) -> list[int]:
    """Enqueue rows queued since before ``queued_before`` that have no live job in Redis."""
    with transaction(factory) as session:
        stale = session.execute(
            sa.select(Evaluation.id, Evaluation.attempt).where(
                Evaluation.status == EvaluationStatus.QUEUED,
                sa.or_(Evaluation.enqueued_at.is_(None), Evaluation.enqueued_at < queued_before),
            ).order_by(Evaluation.id)
        ).all()
    stale = [(e, a) for e, a in stale if e not in skip]
    if not stale:
        return []
    connection = dispatch.redis_connection(settings)
    try:
        redelivered = []
        for evaluation_id, attempt in stale:
            if dispatch.delivery_pending(connection, evaluation_id, attempt):
                continue
            if not dispatch.enqueue_evaluation(settings, evaluation_id, attempt, connection=connection):
                raise redis.exceptions.ConnectionError("enqueue failed")
            redelivered.append(evaluation_id)
        if redelivered:
            log.warning("reconcile: re-delivered %d queued evaluation(s) missing from Redis", len(redelivered))
        return redelivered
    finally:
        connection.close()
