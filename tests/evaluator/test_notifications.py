"""Outcome emails through a real SMTP server (aiosmtpd) and real RQ jobs: sent once, safe, never fatal."""
from __future__ import annotations

import email
import email.policy
import threading
from datetime import timedelta

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller
from click.testing import CliRunner
from pipeline_fixtures import FakeRunner, free_port, publish_extra_hidden, upload
from rq import Queue, SimpleWorker

from arena.cli import cli
from arena.core.db import transaction
from arena.core.enums import EvaluationKind, EvaluationStatus, SubmissionStatus, UserRole
from arena.core.models import Competition, DatasetVersion, Evaluation, Notification, Score, Submission, User, utcnow
from arena.services.accounts import create_user, set_notification_preferences
from arena.services.notifications import notify_outcome, notify_outcome_job
from arena.services.rescore import apply_rescore, plan_rescore
from arena.services.results import round_score
from evaluator.context import WorkerContext, install_context
from evaluator.claim import claim_evaluation
from evaluator.dispatch import notice_queue, redis_connection
from evaluator.reconciler import reconcile


class Inbox:
    """aiosmtpd handler keeping every message it accepts."""

    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []
        self._lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self._lock:
            self.messages.append(message)
        return "250 Message accepted"

    def to(self, address: str) -> list[email.message.EmailMessage]:
        return [m for m in self.messages if m["To"] == address]


@pytest.fixture
def inbox():
    handler = Inbox()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    handler.port = controller.port
    yield handler
    controller.stop()


@pytest.fixture
def mail_settings(eval_settings, inbox, monkeypatch):
    """Notifications on, pointed at the test's SMTP server; the job process reads them from the env."""
    settings = eval_settings.with_overrides(smtp_host="127.0.0.1", smtp_port=inbox.port,
                                            smtp_from="arena@example.org", public_url="https://arena.example.org/")
    for key, value in settings.to_env().items():
        monkeypatch.setenv(key, value)
    return settings


@pytest.fixture
def worker(mail_settings, metric_suite):
    """A worker context (fake runner, real metrics) installed for the RQ jobs of this process."""
    context = WorkerContext(settings=mail_settings, runner=FakeRunner(), scorer=metric_suite, worker_name="mail-w")
    install_context(context)
    yield context
    install_context(None)
    context.close()


def run_burst(settings) -> None:
    """Work the queue until empty in this process: evaluations, then the emails they announce."""
    connection = redis_connection(settings)
    try:
        SimpleWorker([notice_queue(settings), settings.queue_name], connection=connection).work(burst=True)
    finally:
        connection.close()


def opt_in(factory, user_id: int, address: str, on: bool = True) -> None:
    with transaction(factory) as session:
        set_notification_preferences(session, session.get(User, user_id), address, on)


def test_opted_in_participant_gets_one_email_for_a_scored_submission(
        mail_settings, session_factory, world, generator, worker, inbox):
    opt_in(session_factory, world.user_id, "ann@example.org")
    submission_id = upload(mail_settings, session_factory, world, generator, label="adain v2")
    run_burst(mail_settings)

    with session_factory() as session:
        submission = session.get(Submission, submission_id)
        assert submission.status is SubmissionStatus.SCORED
        evaluation = submission.evaluations[0]
        art_fid = session.scalar(sa.select(Score.value).where(Score.evaluation_id == evaluation.id,
                                                              Score.metric == "art_fid"))
    [mail] = inbox.to("ann@example.org")
    body = mail.get_content()
    assert mail["From"] == "arena@example.org"
    assert "was scored" in mail["Subject"] and f"#{submission_id}" in mail["Subject"] and "adain v2" in mail["Subject"]
    assert f"art_fid (the ranking metric, public board, lower is better): {round_score(art_fid)}" in body
    assert "uncalibrated" in body  # seeded backbones
    assert f"https://arena.example.org/me/submissions/{submission_id}" in body

    # A duplicate announcement (a retried job, a re-run of the write) sends nothing more.
    assert notify_outcome(session_factory, mail_settings, evaluation.id) == []
    assert notify_outcome_job(evaluation.id) == 0
    assert len(inbox.messages) == 1
    with session_factory() as session:
        [row] = session.scalars(sa.select(Notification)).all()
        assert row.key == f"evaluation:{evaluation.id}" and row.sent_at is not None and row.error is None


def test_a_hidden_run_failure_mails_the_safe_message_and_nothing_of_the_run(
        mail_settings, session_factory, world, generator, worker, inbox):
    opt_in(session_factory, world.user_id, "ann@example.org")
    worker.runner = FakeRunner("ok", "crash")  # the public smoke run passes, the hidden run crashes
    submission_id = upload(mail_settings, session_factory, world, generator)
    run_burst(mail_settings)

    with session_factory() as session:
        submission = session.get(Submission, submission_id)
        evaluation = submission.evaluations[0]
        assert submission.status is SubmissionStatus.FAILED and submission.error_code == "generator_crashed"
        detail, message = evaluation.error_detail, submission.error_message
    assert "boom" in detail  # the organizer-only text exists...
    [mail] = inbox.to("ann@example.org")
    body = mail.get_content()
    assert "failed" in mail["Subject"]
    assert "generator_crashed" in body and message in body
    # ...and none of it, nor the hidden run's log, reaches the participant.
    assert "boom" not in body and "Traceback" not in body and "hidden-inputs" not in body


def test_a_worker_lost_on_the_last_attempt_is_announced_by_the_reconciler(
        mail_settings, session_factory, world, generator, inbox):
    settings = mail_settings.with_overrides(max_attempts=1)
    opt_in(session_factory, world.user_id, "ann@example.org")
    submission_id = upload(settings, session_factory, world, generator)
    with session_factory() as session:
        evaluation_id = session.get(Submission, submission_id).evaluations[0].id
    claim_evaluation(session_factory, evaluation_id, "dead-worker", 30, 1)
    with transaction(session_factory) as session:
        session.get(Evaluation, evaluation_id).lease_expires_at = utcnow() - timedelta(seconds=1)
    assert reconcile(settings, session_factory, sweep_containers=False).failed == (evaluation_id,)
    connection = redis_connection(settings)
    try:  # only the email queue: the evaluation's own delivery is a duplicate now
        SimpleWorker([notice_queue(settings)], connection=connection).work(burst=True)
    finally:
        connection.close()
    with session_factory() as session:
        submission = session.get(Submission, submission_id)
        assert submission.status is SubmissionStatus.FAILED and submission.error_code == "worker_lost"
        message = submission.error_message
    [mail] = inbox.to("ann@example.org")
    assert "failed" in mail["Subject"] and "worker_lost" in mail.get_content() and message in mail.get_content()


def test_no_email_without_opting_in(mail_settings, session_factory, world, generator, worker, inbox):
    # An address alone is not consent: the tick box is off by default.
    opt_in(session_factory, world.user_id, "ann@example.org", on=False)
    submission_id = upload(mail_settings, session_factory, world, generator)
    run_burst(mail_settings)
    with session_factory() as session:
        assert session.get(Submission, submission_id).status is SubmissionStatus.SCORED
        assert session.scalar(sa.select(sa.func.count(Notification.id))) == 0
    assert inbox.messages == []


def test_a_dead_mail_server_never_fails_the_evaluation(
        mail_settings, session_factory, world, generator, metric_suite, inbox, monkeypatch):
    dead = mail_settings.with_overrides(smtp_port=free_port())  # nothing listens there
    for key, value in dead.to_env().items():
        monkeypatch.setenv(key, value)
    context = WorkerContext(settings=dead, runner=FakeRunner(), scorer=metric_suite, worker_name="dead-mail")
    install_context(context)
    try:
        opt_in(session_factory, world.user_id, "ann@example.org")
        submission_id = upload(dead, session_factory, world, generator)
        run_burst(dead)
    finally:
        install_context(None)
        context.close()
    with session_factory() as session:
        submission = session.get(Submission, submission_id)
        assert submission.status is SubmissionStatus.SCORED
        assert submission.evaluations[0].status is EvaluationStatus.SCORED
        [row] = session.scalars(sa.select(Notification)).all()
        assert row.sent_at is None and "Connection" in row.error
    # The email job itself finished (it logs, never raises), so RQ holds no failed job either.
    connection = redis_connection(dead)
    try:
        assert Queue(notice_queue(dead), connection=connection).failed_job_registry.count == 0
    finally:
        connection.close()
    assert inbox.messages == []
    # The organizer sees the refused email, and why, from the CLI.
    listed = CliRunner().invoke(cli, ["notifications", "list", "--failed"], obj={"settings": dead})
    assert listed.exit_code == 0 and "ann@example.org" in listed.output and "NOT SENT" in listed.output
    tried = CliRunner().invoke(cli, ["notifications", "test", "olga@example.org"], obj={"settings": dead})
    assert tried.exit_code == 1 and "Check STYLEARENA_SMTP_HOST/PORT" in tried.output


def test_the_cli_test_email_reaches_the_server(mail_settings, inbox):
    done = CliRunner().invoke(cli, ["notifications", "test", "olga@example.org"], obj={"settings": mail_settings})
    assert done.exit_code == 0, done.output
    [mail] = inbox.to("olga@example.org")
    assert mail["Subject"] == "[StyleArena] test email" and "https://arena.example.org/" in mail.get_content()
    off = CliRunner().invoke(cli, ["notifications", "test", "olga@example.org"],
                             obj={"settings": mail_settings.with_overrides(smtp_host="")})
    assert off.exit_code == 1 and "set STYLEARENA_SMTP_HOST" in off.output


# The test server listens on loopback only; plain-text AUTH there is what the warning is about.
@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS:UserWarning")
def test_the_smtp_login_is_used_when_set(mail_settings, inbox, monkeypatch):
    from aiosmtpd.smtp import AuthResult, LoginPassword

    from arena.services import notifications

    # aiosmtpd answers a refused login slowly; the client's timeout is what ends it.
    monkeypatch.setattr(notifications, "SMTP_TIMEOUT_S", 2)

    logins = []

    def authenticator(server, session, envelope, mechanism, auth_data):
        ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (b"arena", b"s3cret")
        logins.append(ok)
        return AuthResult(success=ok)

    guarded = Controller(inbox, hostname="127.0.0.1", port=free_port(), authenticator=authenticator,
                         auth_required=True, auth_require_tls=False)
    guarded.start()
    try:
        good = mail_settings.with_overrides(smtp_port=guarded.port, smtp_username="arena", smtp_password="s3cret")
        assert CliRunner().invoke(cli, ["notifications", "test", "a@example.org"], obj={"settings": good}).exit_code == 0
        bad = good.with_overrides(smtp_password="wrong")
        refused = CliRunner().invoke(cli, ["notifications", "test", "b@example.org"], obj={"settings": bad})
        assert refused.exit_code == 1 and "did not take the email" in refused.output
    finally:
        guarded.stop()
    assert logins[0] is True and logins[1:] and not any(logins[1:])
    assert len(inbox.to("a@example.org")) == 1 and inbox.to("b@example.org") == []


def test_organizers_get_one_email_when_a_rescore_finishes(
        mail_settings, session_factory, world, generator, worker, inbox, tmp_path):
    opt_in(session_factory, world.user_id, "ann@example.org")
    with transaction(session_factory) as session:
        organizer = create_user(session, "olga", "correct horse battery", role=UserRole.ORGANIZER)
        bystander = create_user(session, "otto", "correct horse battery", email="otto@example.org",
                                role=UserRole.ORGANIZER)  # has an address but did not opt in
        organizer_id, _ = organizer.id, bystander.id
    opt_in(session_factory, organizer_id, "olga@example.org")
    first = upload(mail_settings, session_factory, world, generator)
    second = upload(mail_settings, session_factory, world, generator)
    run_burst(mail_settings)
    assert len(inbox.to("ann@example.org")) == 2 and inbox.to("olga@example.org") == []

    new_hidden = publish_extra_hidden(mail_settings, session_factory, tmp_path / "extra")
    with session_factory() as session:
        competition = session.get(Competition, world.competition_id)
        plan = plan_rescore(session, mail_settings, competition, session.get(DatasetVersion, new_hidden))
        ids = apply_rescore(session, mail_settings, plan, actor="test")
    assert len(ids) == 2
    run_burst(mail_settings)

    with session_factory() as session:
        rescored = session.scalars(sa.select(Evaluation).where(Evaluation.kind == EvaluationKind.RESCORE)).all()
        assert {e.submission_id for e in rescored} == {first, second}
        assert all(e.status is EvaluationStatus.SCORED for e in rescored)
    [mail] = inbox.to("olga@example.org")
    body = mail.get_content()
    assert "rescore finished" in mail["Subject"] and "2 scored, 0 failed" in mail["Subject"]
    assert f"dataset version {new_hidden}" in body and "2 scored, 0 failed, of 2 eligible" in body
    assert f"stylearena competition configure {world.slug} --hidden-dataset {new_hidden}" in body
    assert inbox.to("otto@example.org") == []
    # A rescore on another version does not count, so the participant hears nothing of it.
    assert len(inbox.to("ann@example.org")) == 2
    # Announcing the last evaluation again sends nothing more.
    for evaluation_id in ids:
        assert notify_outcome(session_factory, mail_settings, evaluation_id) == []
    assert len(inbox.to("olga@example.org")) == 1
