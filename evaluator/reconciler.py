"""The reconciler: makes sure no evaluation is lost between SQL (the truth) and Redis (delivery).

Run by ``stylearena reconcile`` and periodically by every worker, on every host. On PostgreSQL
one pass runs at a time across all hosts: a pass holds a transaction-level advisory lock and a
host that cannot take it skips its turn (``ReconcileReport.skipped``). Without it two hosts
could read the same expired lease, one re-queue it, a third claim attempt N+1, and the other
then kill that new attempt's containers. The lock's session ends itself after
``lock_hold_limit`` idle seconds (``idle_in_transaction_session_timeout``), so a holder cut off
by a partition blocks the others for that long only. Each change is a conditional update
anyway, and containers are killed by attempt, so a pass that outlives its lock is harmless.
SQLite deployments are single-host and take no lock.

1. Running evaluations whose lease expired (their worker died or hung): kill the attempt's
   labelled container, then re-queue the evaluation, or fail it with a platform code once
   ``settings.max_attempts`` are spent.
2. Evaluations queued for longer than a grace period with no live job in Redis (Redis was
   down at upload, or restarted empty): deliver them again.
3. Sandbox containers whose deadline passed: removed.
"""
from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
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
# pg_try_advisory_xact_lock key of the reconcile pass (any fixed bigint; locks are per database).
RECONCILE_LOCK_KEY = 0x5A_7EC0_C11E


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
    # Another host held the reconcile lock: this pass did nothing.
    skipped: bool = False

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
    """One reconcile pass (see the module docstring); skipped if another host is running one."""
    with exclusive_pass(factory, lock_hold_limit(settings)) as held:
        if not held:
            return ReconcileReport(skipped=True)
        return _reconcile(settings, factory, queued_grace_s, sweep_containers, now)


def lock_hold_limit(settings: Settings) -> float:
    """Seconds a silent lock holder keeps the lock: two lease periods, at least 10 s."""
    return max(10.0, 2.0 * settings.lease_seconds)


@contextmanager
def exclusive_pass(factory: sessionmaker[Session], hold_limit_s: float) -> Iterator[bool]:
    """Hold the cluster-wide reconcile lock for the block; yields whether it was taken."""
    session = factory()
    try:
        if session.get_bind().dialect.name != "postgresql":
            yield True
            return
        session.execute(sa.select(sa.func.set_config("idle_in_transaction_session_timeout",
                                                     str(int(hold_limit_s * 1000)), True)))
        held = bool(session.scalar(sa.select(sa.func.pg_try_advisory_xact_lock(RECONCILE_LOCK_KEY))))
        yield held
    finally:
        try:
            session.rollback()  # ends the transaction, and with it the lock
        except sa.exc.DBAPIError as exc:  # the server already ended the session (hold limit)
            log.warning("reconcile lock session ended early: %s", exc)
        session.close()


def _reconcile(settings: Settings, factory: sessionmaker[Session], queued_grace_s: float,
               sweep_containers: bool, now: datetime | None) -> ReconcileReport:
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
                killed += _kill_attempt_containers(settings, evaluation_id, attempt)
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
            dispatch.announce_outcome(settings, evaluation_id)  # after the commit above
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


def _kill_attempt_containers(settings: Settings, evaluation_id: int, attempt: int) -> int:
    """Kill the containers of the attempt whose lease expired (never a newer attempt's)."""
    from sandbox.sweeper import kill_labelled  # noqa: PLC0415 - Docker SDK only when used

    return kill_labelled(settings.docker_host, evaluation_id=str(evaluation_id), attempt=str(attempt))


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
