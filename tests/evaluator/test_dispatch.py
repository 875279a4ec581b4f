"""Uploads and delivery: commit before enqueue, Redis down is not an error, quotas."""
from __future__ import annotations

import threading
from datetime import datetime, timezone

import pytest
import redis
import sqlalchemy as sa
from pipeline_fixtures import free_port, upload
from rq import Queue, SimpleWorker
from rq.job import Job

from arena.core.db import transaction
from arena.core.enums import EvaluationStatus, SubmissionFormat, SubmissionStatus
from arena.core.models import Competition, Evaluation, Submission, User
from arena.services.submissions import QuotaExceeded, create_submission
from evaluator import dispatch
from evaluator.reconciler import reconcile
from sandbox.errors import UploadRejected


def run_burst(settings) -> None:
    """Work the queue until empty in this process (RQ's SimpleWorker)."""
    connection = redis.Redis.from_url(settings.redis_url)
    SimpleWorker([settings.queue_name], connection=connection).work(burst=True)
    connection.close()


def _queue(settings) -> Queue:
    return Queue(settings.queue_name, connection=redis.Redis.from_url(settings.redis_url))


def test_upload_is_stored_committed_and_enqueued(eval_settings, session_factory, world, generator):
    submission_id = upload(eval_settings, session_factory, world, generator, label="first")
    with session_factory() as session:
        submission = session.get(Submission, submission_id)
        evaluation = submission.evaluations[0]
        assert submission.status is SubmissionStatus.QUEUED and submission.format is SubmissionFormat.TORCHSCRIPT
        assert (eval_settings.uploads_dir / submission.sha256).read_bytes() == generator.read_bytes()
        assert (evaluation.status, evaluation.attempt, evaluation.dataset_version_id) == \
            (EvaluationStatus.QUEUED, 0, world.hidden_id)
    queue = _queue(eval_settings)
    assert queue.job_ids == [f"eval-{evaluation.id}-0"]
    job = queue.fetch_job(f"eval-{evaluation.id}-0")
    assert job.args == (evaluation.id,)
    assert job.timeout > eval_settings.sandbox.timeout_s + eval_settings.sandbox.smoke_timeout_s


def test_enqueue_returns_false_when_redis_is_down(eval_settings):
    dead = eval_settings.with_overrides(redis_url=f"redis://127.0.0.1:{free_port()}/0")
    assert dispatch.enqueue_evaluation(dead, 123) is False


def test_upload_accepted_while_redis_is_down_and_delivered_when_it_is_back(
        eval_settings, session_factory, world, generator, private_redis, fake_context):
    private_redis.stop()
    try:
        submission_id = upload(eval_settings, session_factory, world, generator)
        with session_factory() as session:
            assert session.get(Submission, submission_id).status is SubmissionStatus.QUEUED
        report = reconcile(eval_settings, session_factory, queued_grace_s=0, sweep_containers=False)
        assert report.redis_available is False and report.redelivered == ()
    finally:
        private_redis.start()
    report = reconcile(eval_settings, session_factory, queued_grace_s=0, sweep_containers=False)
    assert len(report.redelivered) == 1
    # A second pass sees the live job and does not deliver it twice.
    assert reconcile(eval_settings, session_factory, queued_grace_s=0, sweep_containers=False).redelivered == ()
    assert len(_queue(eval_settings).job_ids) == 1
    run_burst(eval_settings)
    with session_factory() as session:
        submission = session.get(Submission, submission_id)
        assert submission.status is SubmissionStatus.SCORED, (submission.error_code, submission.error_message)
        assert submission.evaluations[0].attempt == 1


def test_duplicate_delivery_is_a_no_op(eval_settings, session_factory, world, generator, fake_context):
    submission_id = upload(eval_settings, session_factory, world, generator)
    with session_factory() as session:
        evaluation_id = session.get(Submission, submission_id).evaluations[0].id
    # The same attempt delivered twice (a reconciler raced the first delivery).
    _queue(eval_settings).enqueue(dispatch.JOB_FUNCTION, evaluation_id, job_id="dup")
    run_burst(eval_settings)
    results = {Job.fetch(j, connection=redis.Redis.from_url(eval_settings.redis_url)).return_value()
               for j in (f"eval-{evaluation_id}-0", "dup")}
    assert results == {"scored", "not_claimed"}
    assert fake_context.runner.calls == 2  # smoke + hidden, once


def test_quota_counts_uploads_but_not_platform_failures(eval_settings, session_factory, world, generator):
    with transaction(session_factory) as session:
        session.get(Competition, world.competition_id).daily_quota = 2
    first = upload(eval_settings, session_factory, world, generator)
    upload(eval_settings, session_factory, world, generator)
    with pytest.raises(QuotaExceeded) as caught:
        upload(eval_settings, session_factory, world, generator)
    assert "resets at" in caught.value.message and "UTC" in caught.value.message
    with transaction(session_factory) as session:
        session.get(Submission, first).counts_against_quota = False  # as a platform failure leaves it
    upload(eval_settings, session_factory, world, generator)
    with session_factory() as session:
        assert session.scalar(sa.select(sa.func.count(Submission.id))) == 3


@pytest.mark.postgres
@pytest.mark.parametrize("db_url", ["postgres"], indirect=True)
def test_simultaneous_uploads_cannot_overrun_the_quota(eval_settings, session_factory, world, generator,
                                                       monkeypatch):
    # Four uploads of one participant pass the early quota check together, then meet inside
    # validation (the slow part); the row lock and second count must admit exactly one.
    from arena.services import submissions

    with transaction(session_factory) as session:
        session.get(Competition, world.competition_id).daily_quota = 1
    racers = 4
    meet = threading.Barrier(racers, timeout=60)
    real_validate = submissions.validate_upload

    def validate_together(*args, **kwargs):
        meet.wait()
        return real_validate(*args, **kwargs)

    monkeypatch.setattr(submissions, "validate_upload", validate_together)
    outcomes: list[str] = []

    def race() -> None:
        try:
            upload(eval_settings, session_factory, world, generator)
            outcomes.append("accepted")
        except QuotaExceeded:
            outcomes.append("quota")

    threads = [threading.Thread(target=race) for _ in range(racers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert sorted(outcomes) == ["accepted"] + ["quota"] * (racers - 1)
    with session_factory() as session:
        assert session.scalar(sa.select(sa.func.count(Submission.id))) == 1


def test_quota_message_names_the_reset_time(eval_settings, session_factory, world, generator):
    now = datetime(2026, 3, 1, 22, 30, tzinfo=timezone.utc)
    with transaction(session_factory) as session:
        session.get(Competition, world.competition_id).daily_quota = 1
        user, competition = session.get(User, world.user_id), session.get(Competition, world.competition_id)
        create_submission(session, eval_settings, user, competition, upload_path=generator, now=now)
    with transaction(session_factory) as session:
        user, competition = session.get(User, world.user_id), session.get(Competition, world.competition_id)
        with pytest.raises(QuotaExceeded) as caught:
            create_submission(session, eval_settings, user, competition, upload_path=generator, now=now)
    assert "2026-03-02 00:00 UTC (in 1 h 30 min)" in caught.value.message


def test_rejected_upload_commits_nothing(eval_settings, session_factory, world, tmp_path):
    bogus = tmp_path / "model.pt"
    bogus.write_bytes(b"not a model at all")
    with transaction(session_factory) as session, pytest.raises(UploadRejected):
        create_submission(session, eval_settings, session.get(User, world.user_id),
                          session.get(Competition, world.competition_id), upload_path=bogus)
    with session_factory() as session:
        assert session.scalar(sa.select(sa.func.count(Evaluation.id))) == 0
    assert _queue(eval_settings).job_ids == []
