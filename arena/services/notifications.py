"""Outcome emails: composing them, sending them over SMTP once, and the job that does both.

The evaluator announces a final evaluation after its fenced write has committed
(``evaluator.dispatch.announce_outcome``); the workers then run ``notify_outcome_job``, so a
slow or dead mail server never holds a lease, a transaction or an evaluation. Two emails can
follow a final evaluation:

- to the submission's owner, when the evaluation is the one that counts (the competition's
  current dataset and scorer) and the owner opted in: the status, the public-board score of
  the ranking metric or the participant-safe failure text the owner's page shows (never the
  organizer-only detail, nothing of the hidden run);
- to each opted-in organizer, when it was the last unfinished evaluation of a rescore target.

Every email is a ``Notification`` row inserted before sending; its unique key makes a second
job for the same outcome (a duplicate delivery, a retry, a re-run) send nothing. A refused or
unreachable server is recorded on the row and logged; the email is not retried.
"""
from __future__ import annotations

import logging
import smtplib
import ssl
from collections.abc import Callable
from dataclasses import dataclass
from email.message import EmailMessage

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from arena.core.db import make_engine, make_session_factory, transaction
from arena.core.enums import EvaluationKind, EvaluationStatus, SubmissionStatus, UserRole
from arena.core.models import (Competition, Evaluation, Notification, NotificationKind, Score, Submission, User,
                               utcnow)
from arena.core.settings import Settings
from arena.core.target import EvaluationTarget
from arena.services.rescore import progress_on
from arena.services.results import round_score

log = logging.getLogger(__name__)

# Long enough for a slow relay, short enough that a dead one frees the worker soon.
SMTP_TIMEOUT_S = 10
FINAL = (EvaluationStatus.SCORED, EvaluationStatus.FAILED)


@dataclass(frozen=True)
class Email:
    """One message to one address."""

    to: str
    subject: str
    body: str


@dataclass(frozen=True)
class PlannedEmail:
    """An email and the outcome it announces (``key`` is unique across all notifications)."""

    key: str
    kind: NotificationKind
    user_id: int
    competition_id: int
    evaluation_id: int
    email: Email


Sender = Callable[[Settings, Email], None]


def send_email(settings: Settings, email: Email) -> None:
    """Send one email through the configured SMTP server.

    Raises:
        smtplib.SMTPException: the server refused (authentication, recipient, STARTTLS).
        OSError: the server could not be reached or timed out.
    """
    message = EmailMessage()
    message["From"] = settings.smtp_from
    message["To"] = email.to
    message["Subject"] = email.subject
    message.set_content(email.body)
    with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=SMTP_TIMEOUT_S) as smtp:
        if settings.smtp_starttls:
            smtp.starttls(context=ssl.create_default_context())
        if settings.smtp_username:
            smtp.login(settings.smtp_username, settings.smtp_password or "")
        smtp.send_message(message)


def link(settings: Settings, path: str) -> str:
    """An address of the site: absolute under ``public_url``, site-relative without one."""
    return settings.public_url.rstrip("/") + path


def _one_line(text: str) -> str:
    # Labels and titles are typed by people; a header must stay one line.
    return " ".join(text.split())


def submission_result_email(session: Session, settings: Settings, evaluation: Evaluation) -> PlannedEmail | None:
    """The owner's email about ``evaluation``, or None when it is not due (not final, not the
    counted one, a disqualified submission, an owner who did not opt in or has no address)."""
    submission = evaluation.submission
    competition, owner = submission.competition, submission.owner
    if (evaluation.status not in FINAL or not EvaluationTarget.of(competition).counts(evaluation)
            or submission.status is SubmissionStatus.DISQUALIFIED
            or not (owner.notify_on_result and owner.email and owner.is_active)):
        return None
    name = f"#{submission.id}" + (f" “{_one_line(submission.label)}”" if submission.label.strip() else "")
    title = _one_line(competition.title)
    if evaluation.status is EvaluationStatus.SCORED:
        subject = f"[StyleArena] {title}: submission {name} was scored"
        score = session.scalars(sa.select(Score).where(
            Score.evaluation_id == evaluation.id, Score.metric == competition.ranking_metric)).first()
        lines = [f"Your submission {name} to “{title}” was scored.", ""]
        if score is None:
            lines.append(f"It has no {competition.ranking_metric} score; its page lists the metrics it has.")
        else:
            lines.append(f"{competition.ranking_metric} (the ranking metric, public board, lower is better): "
                         f"{round_score(score.value)}")
            if not score.calibrated:
                lines.append("This score is uncalibrated: the platform computed it without the official "
                             "backbone weights.")
    else:
        subject = f"[StyleArena] {title}: submission {name} failed"
        # The submission's mirrored code and message: the participant-safe text of its page.
        lines = [f"Your submission {name} to “{title}” failed: {submission.error_code or 'failed'}.", "",
                 submission.error_message or "The evaluation did not finish."]
    lines += ["", f"Details: {link(settings, f'/me/submissions/{submission.id}')}", "",
              "You get this email because you asked for one when a submission is scored or fails. "
              f"Turn it off on {link(settings, '/account/notifications')}."]
    return PlannedEmail(key=f"evaluation:{evaluation.id}", kind=NotificationKind.SUBMISSION_RESULT,
                        user_id=owner.id, competition_id=competition.id, evaluation_id=evaluation.id,
                        email=Email(owner.email, subject[:200], "\n".join(lines) + "\n"))


def rescore_finished_emails(session: Session, settings: Settings, evaluation: Evaluation) -> list[PlannedEmail]:
    """The organizers' emails when ``evaluation`` finished the last open evaluation of its rescore.

    A rescore is its target (dataset version, scorer) in one competition; it has finished when no
    eligible submission's evaluation there is queued or running. A later rescore of the same target
    creates newer evaluations, so the newest rescore evaluation's id tells the batches apart.
    """
    if evaluation.kind is not EvaluationKind.RESCORE or evaluation.status not in FINAL:
        return []
    competition: Competition = evaluation.submission.competition
    dataset_id, scorer = evaluation.dataset_version_id, evaluation.scorer_version
    progress = progress_on(session, competition, dataset_id, scorer)
    if progress.queued or progress.running:
        return []
    batch = session.scalar(sa.select(sa.func.max(Evaluation.id)).join(Submission).where(
        Submission.competition_id == competition.id, Evaluation.dataset_version_id == dataset_id,
        Evaluation.scorer_version == scorer, Evaluation.kind == EvaluationKind.RESCORE))
    organizers = session.scalars(sa.select(User).where(
        User.role.in_((UserRole.ORGANIZER, UserRole.ADMIN)), User.notify_on_result.is_(True),
        User.is_active.is_(True), User.email.is_not(None)).order_by(User.id)).all()
    slug, title = competition.slug, _one_line(competition.title)
    lines = [f"The rescore of “{title}” ({slug}) on dataset version {dataset_id} "
             f"({progress.dataset_sha256[:12]}) with scorer {scorer} has finished:",
             f"{progress.scored} scored, {progress.failed} failed, of {progress.eligible} eligible submission(s)"
             + (f"; {progress.missing} never evaluated there." if progress.missing else "."), ""]
    if progress.current:
        lines.append("This is the target the leaderboard shows.")
    else:
        lines += ["The leaderboard still shows the current versions. Switch with:",
                  f"  stylearena competition configure {slug} --hidden-dataset {dataset_id} --scorer-version {scorer}"]
    lines += ["", f"Progress of every target: stylearena rescore status {slug}",
              f"Organizer page: {link(settings, f'/admin/competitions/{slug}')}"]
    subject = f"[StyleArena] {title}: rescore finished ({progress.scored} scored, {progress.failed} failed)"
    return [PlannedEmail(key=f"rescore:{competition.id}:{dataset_id}:{scorer}:{batch}:{user.id}",
                         kind=NotificationKind.RESCORE_FINISHED, user_id=user.id, competition_id=competition.id,
                         evaluation_id=evaluation.id, email=Email(user.email, subject[:200], "\n".join(lines) + "\n"))
            for user in organizers]


def planned_emails(session: Session, settings: Settings, evaluation_id: int) -> list[PlannedEmail]:
    """Every email a final evaluation calls for (none for one that is not final)."""
    evaluation = session.get(Evaluation, evaluation_id)
    if evaluation is None or evaluation.status not in FINAL:
        return []
    owner_email = submission_result_email(session, settings, evaluation)
    return ([owner_email] if owner_email else []) + rescore_finished_emails(session, settings, evaluation)


def notify_outcome(factory: sessionmaker[Session], settings: Settings, evaluation_id: int,
                   send: Sender = send_email) -> list[Email]:
    """Send the emails of a final evaluation that were not sent before; returns those sent.

    Each is recorded (claimed) in its own committed transaction before the server is contacted,
    and no transaction is open while it is.
    """
    with transaction(factory) as session:
        planned = planned_emails(session, settings, evaluation_id)
    sent = []
    for item in planned:
        if not _claim(factory, item):
            continue
        try:
            send(settings, item.email)
        except (smtplib.SMTPException, OSError) as exc:
            log.warning("outcome email %s to user %s not sent (%s:%s): %s; check the STYLEARENA_SMTP_* settings",
                        item.key, item.user_id, settings.smtp_host, settings.smtp_port, exc)
            _finish(factory, item.key, error=f"{type(exc).__name__}: {exc}"[:2000])
            continue
        _finish(factory, item.key)
        sent.append(item.email)
    return sent


def _claim(factory: sessionmaker[Session], item: PlannedEmail) -> bool:
    """Insert the notification row; False when another job already holds its key."""
    try:
        with transaction(factory) as session:
            session.add(Notification(key=item.key, kind=item.kind, user_id=item.user_id,
                                     competition_id=item.competition_id, evaluation_id=item.evaluation_id,
                                     recipient=item.email.to, subject=item.email.subject))
    except IntegrityError:
        return False
    return True


def _finish(factory: sessionmaker[Session], key: str, error: str | None = None) -> None:
    with transaction(factory) as session:
        session.execute(sa.update(Notification).where(Notification.key == key).values(
            sent_at=None if error else utcnow(), error=error))


def test_email(settings: Settings, address: str) -> Email:
    """The message ``stylearena notifications test`` sends to check the SMTP settings."""
    return Email(address, "[StyleArena] test email", (
        f"This is a test email from StyleArena ({link(settings, '/') or '/'}), sent through "
        f"{settings.smtp_host}:{settings.smtp_port}. If you read it, outcome emails will arrive too.\n"))


def recent_notifications(session: Session, failed_only: bool = False, limit: int = 50) -> list[Notification]:
    """The newest notifications first; ``failed_only``: those the SMTP server did not take."""
    query = sa.select(Notification).order_by(Notification.id.desc()).limit(limit)
    if failed_only:
        query = query.where(Notification.sent_at.is_(None))
    return list(session.scalars(query))


def notify_outcome_job(evaluation_id: int) -> int:
    """RQ entry point (queued by ``evaluator.dispatch.announce_outcome``); returns the emails sent."""
    settings = Settings.from_env()
    if not settings.notifications_enabled:
        return 0
    engine = make_engine(settings.database_url)
    try:
        return len(notify_outcome(make_session_factory(engine), settings, int(evaluation_id)))
    finally:
        engine.dispose()
