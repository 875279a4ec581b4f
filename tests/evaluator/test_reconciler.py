"""The reconciler: expired leases, queued rows lost by Redis, orphaned containers."""
from __future__ import annotations

import time
from datetime import timedelta

import docker
import pytest
import redis
import sqlalchemy as sa
from pipeline_fixtures import upload
from rq import Queue

from arena.core.db import transaction
from arena.core.enums import EvaluationStatus, SubmissionStatus
from arena.core.models import Evaluation, Submission, utcnow
from evaluator.claim import claim_evaluation
from evaluator.reconciler import reconcile

POSTGRES_ONLY = pytest.mark.parametrize("db_url", ["postgres"], indirect=True)


@pytest.fixture
def evaluation_id(eval_settings, session_factory, world, generator) -> int:
    submission_id = upload(eval_settings, session_factory, world, generator)
    with session_factory() as session:
        return session.get(Submission, submission_id).evaluations[0].id


def _job_ids(settings) -> list[str]:
    return Queue(settings.queue_name, connection=redis.Redis.from_url(settings.redis_url)).job_ids


def _age(factory, evaluation_id: int, **columns) -> None:
    with transaction(factory) as session:
        session.execute(sa.update(Evaluation).where(Evaluation.id == evaluation_id).values(**columns))


def test_expired_lease_is_requeued_and_redelivered(eval_settings, session_factory, evaluation_id):
    Queue(eval_settings.queue_name, connection=redis.Redis.from_url(eval_settings.redis_url)).empty()
    claim_evaluation(session_factory, evaluation_id, "dead-worker", 30, 3)
    assert reconcile(eval_settings, session_factory, sweep_containers=False).requeued == ()  # lease still live
    _age(session_factory, evaluation_id, lease_expires_at=utcnow() - timedelta(seconds=1))
    report = reconcile(eval_settings, session_factory, sweep_containers=False)
    assert report.requeued == (evaluation_id,) and report.failed == ()
    assert _job_ids(eval_settings) == [f"eval-{evaluation_id}-1"]
    with session_factory() as session:
        evaluation = session.get(Evaluation, evaluation_id)
        assert (evaluation.status, evaluation.attempt, evaluation.lease_owner) == (EvaluationStatus.QUEUED, 1, None)
        assert evaluation.submission.status is SubmissionStatus.QUEUED
    # A second pass has nothing to do: the new delivery is in Redis.
    assert not reconcile(eval_settings, session_factory, queued_grace_s=0, sweep_containers=False).changed


def test_queued_rows_missing_from_redis_are_redelivered_after_the_grace(eval_settings, session_factory,
                                                                        evaluation_id, private_redis):
    private_redis.client().flushdb()  # Redis lost the job
    report = reconcile(eval_settings, session_factory, queued_grace_s=300, sweep_containers=False)
    assert report.redelivered == ()  # too young: may still be on its way
    _age(session_factory, evaluation_id, enqueued_at=utcnow() - timedelta(seconds=301))
    report = reconcile(eval_settings, session_factory, queued_grace_s=300, sweep_containers=False)
    assert report.redelivered == (evaluation_id,)
    assert _job_ids(eval_settings) == [f"eval-{evaluation_id}-0"]


@pytest.mark.docker
@POSTGRES_ONLY
def test_orphaned_and_expired_containers_are_removed(eval_settings, session_factory, evaluation_id, docker_host):
    client = docker.DockerClient(base_url=docker_host)
    far, past = str(int(time.time()) + 3600), str(int(time.time()) - 10)
    orphan = client.containers.run(
        eval_settings.sandbox.image, ["sleep", "300"], detach=True, network_mode="none",
        labels={"stylearena.sandbox": "1", "stylearena.evaluation": str(evaluation_id),
                "stylearena.attempt": "1", "stylearena.deadline": far})
    expired = client.containers.run(
        eval_settings.sandbox.image, ["sleep", "300"], detach=True, network_mode="none",
        labels={"stylearena.sandbox": "1", "stylearena.evaluation": "999999", "stylearena.deadline": past})
    try:
        claim_evaluation(session_factory, evaluation_id, "dead-worker", 30, 3)
        _age(session_factory, evaluation_id, lease_expires_at=utcnow() - timedelta(seconds=1))
        report = reconcile(eval_settings, session_factory)
        assert report.requeued == (evaluation_id,)
        assert report.containers_killed == 1
        # The expired one is swept; another sweeper on this engine (a worker's maintenance pass
        # left running by an earlier test) may win the race, so the report may not count it,
        # but it must be gone all the same (the sweeper test tolerates the same race).
        remaining = {c.id for c in client.containers.list(all=True)}
        for _ in range(50):
            if expired.id not in remaining:
                break
            time.sleep(0.1)  # a removal in progress elsewhere
            remaining = {c.id for c in client.containers.list(all=True)}
        assert orphan.id not in remaining and expired.id not in remaining
    finally:
        for container in (orphan, expired):
            try:
                container.remove(force=True)
            except docker.errors.NotFound:
                pass
        client.close()


def test_docker_down_does_not_stop_the_requeue(eval_settings, session_factory, evaluation_id, tmp_path):
    settings = eval_settings.with_overrides(docker_host=f"unix://{tmp_path}/gone.sock")
    claim_evaluation(session_factory, evaluation_id, "dead-worker", 30, 3)
    _age(session_factory, evaluation_id, lease_expires_at=utcnow() - timedelta(seconds=1))
    report = reconcile(settings, session_factory)
    assert report.requeued == (evaluation_id,) and report.docker_available is False


def test_reconcile_command_reports_what_it_did(eval_settings, session_factory, evaluation_id):
    import json

    from click.testing import CliRunner

    from arena.cli import cli

    claim_evaluation(session_factory, evaluation_id, "dead-worker", 30, 3)
    _age(session_factory, evaluation_id, lease_expires_at=utcnow() - timedelta(seconds=1))
    result = CliRunner().invoke(cli, ["reconcile", "--no-sweep", "--json"], obj={"settings": eval_settings})
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["requeued"] == [evaluation_id]
