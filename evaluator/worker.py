"""Starting an evaluation worker: an RQ worker that preloads the heavy parts and reconciles.

Each worker process loads torch and the metric backbones once, then forks a work-horse per
job (RQ's default), so a job that hangs or crashes takes only its horse down. Between jobs
the worker runs the reconciler every ``reconcile_interval_s``: RQ's maintenance hook is the
one point in its loop where the worker is idle and not forked.
"""
from __future__ import annotations

import ctypes
import logging
import os
import platform
import signal
import sys
import time

import redis
import sqlalchemy.exc
from rq import Worker
from rq.exceptions import StopRequested

from arena.core.settings import Settings
from evaluator import dispatch
from evaluator.context import WorkerContext, build_context, install_context
from evaluator.reconciler import reconcile
from evaluator.tryit_job import sweep_expired as sweep_tryit, tryit_queue

log = logging.getLogger(__name__)

_PR_SET_PDEATHSIG = 1
MAX_RESTART_PAUSE_S = 30.0


def reconcile_interval(settings: Settings) -> int:
    """How often an idle worker reconciles: twice per lease period, at least every 2 s."""
    return max(2, settings.lease_seconds // 2)


def _die_with_parent() -> None:
    """Have the kernel SIGKILL this work-horse if its worker dies.

    A horse whose worker was killed is unsupervised (RQ already counts its job as abandoned
    and nobody enforces its timeout); ending it hands the evaluation to the lease path: the
    reconciler kills its container and re-queues it.
    """
    if not sys.platform.startswith("linux"):
        return
    parent = os.getppid()
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_PDEATHSIG) failed")
    if os.getppid() != parent:  # the worker died before the call took effect
        os._exit(1)


class EvaluationWorker(Worker):
    """RQ's forking worker plus a periodic reconcile pass in its maintenance hook."""

    evaluation_context: WorkerContext | None = None
    queued_grace_s: float = 60.0
    # RQ leaves no trace of an idle worker's SIGTERM (it raises StopRequested and breaks),
    # so the restart loop in ``start_worker`` needs its own record of a stop request.
    stop_signalled: bool = False
    registered: bool = False

    def register_birth(self) -> None:
        super().register_birth()
        self.registered = True

    def request_stop(self, signum, frame) -> None:
        self.stop_signalled = True
        super().request_stop(signum, frame)

    def main_work_horse(self, job, queue) -> None:
        """The forked horse: tie its life to the worker's, then run the job as RQ does."""
        _die_with_parent()
        super().main_work_horse(job, queue)

    def run_maintenance_tasks(self) -> None:
        """RQ's registry cleanup, then one reconcile pass and the try-it sweep."""
        try:
            self._maintain()
        finally:
            # RQ only runs this hook on an idle worker, where a SIGTERM raises StopRequested
            # wherever the signal lands; a library that catches Exception on the way (logging
            # does, in emit) would swallow it and the worker would never stop. Re-raise it here,
            # where RQ's loop catches it and quits.
            if self.stop_signalled:
                raise StopRequested()

    def _maintain(self) -> None:
        # RQ ends the worker on any error in this hook; a Redis or database blip must not.
        # The next maintenance tick cleans and reconciles again.
        try:
            super().run_maintenance_tasks()
        except redis.exceptions.RedisError as exc:
            log.warning("registry cleanup skipped, Redis unavailable: %s", exc)
        context = self.evaluation_context
        if context is None:
            return
        try:
            report = reconcile(context.settings, context.session_factory(), queued_grace_s=self.queued_grace_s)
        except (sqlalchemy.exc.DBAPIError, redis.exceptions.RedisError) as exc:
            log.warning("reconcile skipped, a service is unavailable: %s", exc)
            return
        if report.changed:
            log.info("reconcile: %s", report.to_dict())
        try:
            sweep_tryit(context.settings, context.session_factory())
        except sqlalchemy.exc.DBAPIError as exc:
            log.warning("try-it sweep skipped, the database is unavailable: %s", exc)


def make_worker(settings: Settings, context: WorkerContext, name: str | None = None,
                queued_grace_s: float | None = None) -> EvaluationWorker:
    """An ``EvaluationWorker`` on the settings' queue, reconciling every ``reconcile_interval``."""
    interval = reconcile_interval(settings)
    worker = EvaluationWorker(
        # RQ dequeues in list order: outcome emails (short), scoring, then try-it (issue 17)
        # only when no scoring is waiting.
        [dispatch.notice_queue(settings), settings.queue_name, tryit_queue(settings)],
        name=name or f"{platform.node()}.{os.getpid()}",
        connection=redis.Redis.from_url(settings.redis_url, socket_connect_timeout=5),
        maintenance_interval=interval,
        # The blocking dequeue returns every worker_ttl - 15 s, which bounds how late the
        # maintenance hook (and so the reconcile pass) can run on an idle worker.
        worker_ttl=interval + 15,
        job_monitoring_interval=min(30, interval),
    )
    worker.evaluation_context = context
    if queued_grace_s is not None:
        worker.queued_grace_s = queued_grace_s
    return worker


def start_worker(settings: Settings, burst: bool = False, name: str | None = None,
                 queued_grace_s: float | None = None) -> bool:
    """Load the context once, then work the queue; returns whether any job ran.

    RQ's loop retries a failed dequeue but quits on a Redis error anywhere else (a heartbeat,
    the end-of-job bookkeeping, registering its death). A worker that quit that way is
    restarted here, in the same process with the same preloaded context, once its running
    horse has finished and Redis answers again: a Redis restart must not cost the platform
    its workers. Only a stop request (or the end of a burst) ends this loop.
    """
    context = build_context(settings, worker_name=name)
    install_context(context)
    worked = restarted = False
    pause_s = 0.0
    try:
        while True:
            started = time.monotonic()
            worker = make_worker(settings, context, name=name, queued_grace_s=queued_grace_s)
            context.worker_name = worker.name
            log.info("worker %s on queue %s (job timeout %ss, lease %ss)", worker.name, settings.queue_name,
                     dispatch.job_timeout(settings), settings.lease_seconds)
            try:
                worked = worker.work(burst=burst, logging_level="INFO") or worked
            except redis.exceptions.RedisError as exc:
                if not (worker.registered or restarted):  # unreachable at start: the CLI says what to do
                    raise
                log.warning("worker %s lost Redis again: %s", worker.name, exc)
            if burst or worker.stop_signalled:
                return worked
            log.warning("worker %s left its loop unexpectedly; restarting it once Redis answers", worker.name)
            # A loop that keeps quitting at once (not a Redis outage but some persistent
            # error) is restarted ever more slowly instead of spinning.
            pause_s = min(MAX_RESTART_PAUSE_S, max(1.0, 2 * pause_s)) if time.monotonic() - started < 10 else 0.0
            if not _recover(worker, pause_s):
                return worked
            restarted = True
    finally:
        context.close()


def _recover(worker: EvaluationWorker, pause_s: float = 0.0, max_wait_s: float = 30.0) -> bool:
    """Wait out the old worker's horse, ``pause_s`` and a Redis outage; False if a stop was requested.

    The horse keeps its evaluation: it writes its result to SQL whatever happened to Redis.
    The old worker's registration is retired (``register_death``) so that the new one may
    take the same name.
    """
    stop = {"requested": False}

    def request_stop(signum, frame) -> None:
        stop["requested"] = True

    previous = {sig: signal.signal(sig, request_stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        if worker.horse_pid:
            _wait_for_horse(worker.horse_pid)
        resume_at = time.monotonic() + pause_s
        while not stop["requested"] and time.monotonic() < resume_at:
            time.sleep(min(0.2, pause_s))
        delay = 0.5
        while not stop["requested"]:
            try:
                worker.register_death()
                return True
            except redis.exceptions.RedisError as exc:
                log.warning("Redis still unavailable (%s); retrying in %.1fs", exc, delay)
                time.sleep(delay)
                delay = min(max_wait_s, delay * 2)
        return False
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _wait_for_horse(pid: int) -> None:
    """Reap a horse left running when RQ's loop quit under it."""
    while True:
        try:
            os.waitpid(pid, 0)
            return
        except ChildProcessError:
            return
        except InterruptedError:
            continue
