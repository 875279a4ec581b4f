"""Fault injection: dead workers, Redis restarted empty, PostgreSQL gone mid-run, Docker down.

The worker tests use real ``stylearena worker`` processes (RQ's forking worker), a private
redis-server, their own PostgreSQL database and the real Docker sandbox.
"""
from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
import redis
import sqlalchemy as sa
from cluster import Cluster, create_cluster
from pipeline_fixtures import STYLEARENA, FakeRunner, free_port, upload, wait_until, worker_env
from rq import SimpleWorker
from rq.job import Job

from arena.core.db import make_engine
from arena.core.enums import EvaluationStatus, SubmissionStatus
from arena.core.models import Evaluation, Submission
from evaluator import dispatch
from evaluator.attempt import AttemptOutcome, run_attempt
from evaluator.context import WorkerContext, install_context
from evaluator.metrics.catalog import METRICS
from evaluator.reconciler import reconcile
from sandbox.runner import SandboxRunner

POSTGRES_ONLY = pytest.mark.parametrize("db_url", ["postgres"], indirect=True)
N_METRICS = len(METRICS)  # one score row per metric of the catalog


@pytest.fixture(scope="module")
def cluster(tmp_path_factory, services, postgres_template, docker_host) -> Cluster:
    built, teardown = create_cluster(tmp_path_factory.mktemp("cluster"), services.postgres_admin_url,
                                     postgres_template, docker_host)
    yield built
    teardown()


def _evaluation_id(cluster: Cluster, submission_id: int) -> int:
    with cluster.factory() as session:
        return session.get(Submission, submission_id).evaluations[0].id


def _horse_pids(pid: int) -> list[int]:
    """Children of a worker process (its work-horse while a job runs)."""
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except FileNotFoundError:
        return []


def _wait_running_container(cluster: Cluster, evaluation_id: int) -> Evaluation:
    wait_until(lambda: cluster.containers(evaluation_id), 120, 0.2, "the sandbox container to start")
    return cluster.evaluation(evaluation_id)


def _assert_scored_once(cluster: Cluster, evaluation_ids: list[int], timeout: float) -> None:
    try:
        wait_until(lambda: set(cluster.statuses(evaluation_ids).values()) <= {EvaluationStatus.SCORED}, timeout,
                   0.5, "every evaluation to be scored")
    except AssertionError as exc:
        raise AssertionError(f"{exc}: {cluster.statuses(evaluation_ids)}\n{cluster.logs()}") from None
    assert cluster.score_counts(evaluation_ids) == {e: N_METRICS for e in evaluation_ids}


def _assert_no_containers(cluster: Cluster, evaluation_id: int) -> None:
    """No container of the evaluation is left (Docker may take a moment to finish a removal)."""
    try:
        wait_until(lambda: cluster.containers(evaluation_id) == [], 30, 0.5, "the containers to be removed")
    except AssertionError:
        left = [(c.short_id, c.status, c.labels) for c in cluster.containers(evaluation_id)]
        raise AssertionError(f"containers left: {left}\n{cluster.logs()}") from None


@pytest.mark.slow
@pytest.mark.docker
@pytest.mark.postgres
def test_sigkilled_worker_is_recovered_and_its_container_removed(cluster, generator):
    workers = cluster.ensure_workers("a", "b")
    evaluation_id = _evaluation_id(cluster, upload(cluster.settings, cluster.factory, cluster.world, generator))
    owner = _wait_running_container(cluster, evaluation_id).lease_owner
    victim = next(w for w in workers if w.name == owner)
    horses = _horse_pids(victim.proc.pid)
    victim.kill_worker_only()  # the horse follows it (PR_SET_PDEATHSIG); the container is orphaned
    wait_until(lambda: not any(os.path.exists(f"/proc/{h}") for h in horses), 10, 0.1, "the horse to die")

    _assert_scored_once(cluster, [evaluation_id], 180)
    evaluation = cluster.evaluation(evaluation_id)
    assert evaluation.attempt == 2 and evaluation.platform_faults == 1
    assert evaluation.lease_owner != owner or evaluation.lease_owner is None
    assert evaluation.submission.status is SubmissionStatus.SCORED
    _assert_no_containers(cluster, evaluation_id)


@pytest.mark.slow
@pytest.mark.docker
@pytest.mark.postgres
def test_sigkilled_worker_and_horse_finish_on_another_worker_with_attempt_2(cluster, generator):
    workers = cluster.ensure_workers("a", "b")
    evaluation_id = _evaluation_id(cluster, upload(cluster.settings, cluster.factory, cluster.world, generator))
    owner = _wait_running_container(cluster, evaluation_id).lease_owner
    victim = next(w for w in workers if w.name == owner)
    for pid in _horse_pids(victim.proc.pid):
        os.kill(pid, signal.SIGKILL)
    victim.kill_worker_only()

    _assert_scored_once(cluster, [evaluation_id], 180)
    evaluation = cluster.evaluation(evaluation_id)
    assert evaluation.attempt == 2
    assert evaluation.provenance["worker"] != owner and evaluation.provenance["attempt"] == 2
    _assert_no_containers(cluster, evaluation_id)


@pytest.mark.slow
@pytest.mark.docker
@pytest.mark.postgres
def test_redis_restarted_empty_loses_nothing(cluster, generator):
    cluster.ensure_workers("a", "b")
    ids = [_evaluation_id(cluster, upload(cluster.settings, cluster.factory, cluster.world, generator))
           for _ in range(4)]
    wait_until(lambda: EvaluationStatus.RUNNING in cluster.statuses(ids).values(), 120, 0.2, "a running evaluation")
    started = time.monotonic()
    queued_when_lost = sum(s is EvaluationStatus.QUEUED for s in cluster.statuses(ids).values())
    cluster.redis.restart_empty()  # the queued jobs and the running jobs' RQ state are gone
    assert queued_when_lost >= 1  # at least one submission had only its Redis job to go on
    _assert_scored_once(cluster, ids, 240)
    assert time.monotonic() - started < 240
    assert all(w.alive() for w in cluster.workers.values()), "a worker died with Redis"


@pytest.mark.slow
@pytest.mark.docker
@pytest.mark.postgres
def test_redis_down_for_several_heartbeats_costs_no_worker_and_no_submission(cluster, generator):
    # Down longer than the heartbeat, maintenance and lease periods (lease 6 s): RQ's own loop
    # quits on such an outage outside its dequeue; the worker must come back by itself.
    workers = cluster.ensure_workers("a", "b")
    ids = [_evaluation_id(cluster, upload(cluster.settings, cluster.factory, cluster.world, generator))
           for _ in range(3)]
    wait_until(lambda: EvaluationStatus.RUNNING in cluster.statuses(ids).values(), 120, 0.2, "a running evaluation")
    cluster.redis.stop()
    time.sleep(10)
    assert all(w.alive() for w in workers), "a worker died while Redis was down:\n" + cluster.logs()
    cluster.redis.start()
    _assert_scored_once(cluster, ids, 240)
    assert all(w.alive() for w in workers), "a worker died after Redis came back:\n" + cluster.logs()


@pytest.mark.slow
@pytest.mark.docker
@pytest.mark.postgres
def test_sigterm_stops_an_idle_worker_despite_the_restart_loop(cluster):
    worker = cluster.spawn("term")
    worker.proc.send_signal(signal.SIGTERM)
    try:
        worker.proc.wait(30)
    except Exception:
        raise AssertionError("SIGTERM did not stop an idle worker:\n" + worker.log_text()[-3000:]) from None
    assert worker.proc.returncode == 0, worker.log_text()[-3000:]
    assert "restarting it" not in worker.log_text()


@pytest.mark.postgres
@POSTGRES_ONLY
def test_worker_started_without_redis_says_how_to_start_it(eval_settings):
    # The restart loop waits out outages of a running worker; a worker that never reached
    # Redis must not wait forever in silence.
    env = worker_env(eval_settings) | {"STYLEARENA_REDIS_URL": f"redis://127.0.0.1:{free_port()}/0"}
    done = subprocess.run([str(STYLEARENA), "worker", "--name", "no-redis"], env=env, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 1, done.stderr[-3000:]
    assert "Cannot reach Redis" in done.stderr and "stylearena services start redis" in done.stderr
    assert "Traceback" not in done.stderr


# ---------------------------------------------------------------- in-process platform faults
@pytest.mark.docker
@POSTGRES_ONLY
def test_docker_unavailable_is_retried_and_not_charged(eval_settings, session_factory, world, generator,
                                                       metric_suite, tmp_path):
    settings = eval_settings.with_overrides(retry_backoff_s=0.6)
    runner = SandboxRunner(f"unix://{tmp_path}/no-docker.sock", settings.sandbox.image)
    install_context(WorkerContext(settings=settings, runner=runner, scorer=metric_suite, worker_name="w"))
    connection = redis.Redis.from_url(settings.redis_url)
    try:
        submission_id = upload(settings, session_factory, world, generator)
        # Each platform fault re-queues and re-delivers after a pause; the burst worker drains them all.
        SimpleWorker([settings.queue_name], connection=connection).work(burst=True)
        with session_factory() as session:
            evaluation_id = session.get(Submission, submission_id).evaluations[0].id
        jobs = Job.fetch_many([dispatch.job_id(evaluation_id, a) for a in range(3)], connection=connection)
    finally:
        install_context(None)
        connection.close()
    # The pause doubles: 0.6 s after the first attempt, 1.2 s after the second.
    pauses = [(later.enqueued_at - earlier.started_at).total_seconds() for earlier, later in zip(jobs, jobs[1:])]
    assert pauses[0] >= 0.6 and pauses[1] >= 1.2, pauses
    with session_factory() as session:
        submission = session.get(Submission, submission_id)
        evaluation = submission.evaluations[0]
        assert (evaluation.status, evaluation.attempt, evaluation.platform_faults) == (EvaluationStatus.FAILED, 3, 3)
        assert evaluation.error_code == "docker_unavailable"
        assert submission.status is SubmissionStatus.FAILED and submission.counts_against_quota is False
        assert "does not count against your daily quota" in submission.error_message


def _block_database(url: str, blocked: bool) -> None:
    """Refuse (or allow again) new connections to the test's database and drop the open ones:
    for this database, what a PostgreSQL restart looks like, without touching the shared cluster."""
    name = url.rsplit("/", 1)[1]
    admin = make_engine(url.rsplit("/", 1)[0] + "/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS {"false" if blocked else "true"}'))
        if blocked:
            conn.execute(sa.text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                 "WHERE datname = :name AND pid <> pg_backend_pid()"), {"name": name})
    admin.dispose()


@pytest.mark.postgres
@POSTGRES_ONLY
def test_postgres_gone_mid_run_is_a_platform_fault_retried(eval_settings, session_factory, world, generator,
                                                           metric_suite):
    settings = eval_settings.with_overrides(lease_seconds=2)
    submission_id = upload(settings, session_factory, world, generator)
    with session_factory() as session:
        evaluation_id = session.get(Submission, submission_id).evaluations[0].id

    blocked_at: list[float] = []

    def database_goes_away() -> None:
        _block_database(settings.database_url, True)
        blocked_at.append(time.monotonic())

    # Attempt 1: the database vanishes during the run; the lease cannot be renewed, so the
    # run is aborted rather than finishing blind, and nothing is written.
    context = WorkerContext(settings=settings, runner=FakeRunner("hang", on_run=database_goes_away),
                            scorer=metric_suite, worker_name="w1")
    try:
        assert run_attempt(context, evaluation_id) is AttemptOutcome.FENCED
        assert time.monotonic() - blocked_at[0] >= 1.0  # it held on while its lease was still valid
    finally:
        _block_database(settings.database_url, False)
        context.close()

    # The database is back: the reconciler takes the expired lease back as a platform fault.
    report = reconcile(settings, session_factory, sweep_containers=False)
    assert report.requeued == (evaluation_id,)
    context = WorkerContext(settings=settings, runner=FakeRunner("ok"), scorer=metric_suite, worker_name="w2")
    try:
        assert run_attempt(context, evaluation_id) is AttemptOutcome.SCORED
    finally:
        context.close()
    with session_factory() as session:
        submission = session.get(Submission, submission_id)
        evaluation = submission.evaluations[0]
        assert (evaluation.status, evaluation.attempt, evaluation.platform_faults) == (EvaluationStatus.SCORED, 2, 1)
        assert submission.status is SubmissionStatus.SCORED and len(evaluation.scores) == N_METRICS


@pytest.mark.postgres
@POSTGRES_ONLY
def test_postgres_gone_on_the_last_attempt_fails_uncharged(eval_settings, session_factory, world, generator,
                                                           metric_suite):
    settings = eval_settings.with_overrides(lease_seconds=2, max_attempts=1)
    submission_id = upload(settings, session_factory, world, generator)
    with session_factory() as session:
        evaluation_id = session.get(Submission, submission_id).evaluations[0].id
    context = WorkerContext(settings=settings, scorer=metric_suite, worker_name="w1",
                            runner=FakeRunner("hang", on_run=lambda: _block_database(settings.database_url, True)))
    try:
        assert run_attempt(context, evaluation_id) is AttemptOutcome.FENCED
    finally:
        _block_database(settings.database_url, False)
        context.close()
    assert reconcile(settings, session_factory, sweep_containers=False).failed == (evaluation_id,)
    with session_factory() as session:
        submission = session.get(Submission, submission_id)
        assert submission.status is SubmissionStatus.FAILED and submission.error_code == "worker_lost"
        assert submission.counts_against_quota is False
