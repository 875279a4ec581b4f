"""Accepting an upload: validate, store content-addressed, check the quota, commit, enqueue.

The submission and its first evaluation are committed as ``queued`` before anything is
enqueued; if Redis is down the upload is still accepted and the reconciler delivers it later.
"""
from __future__ import annotations

import os
import shutil
import tempfile
from datetime import datetime, time, timedelta, timezone
from pathlib import Path
from typing import BinaryIO

import sqlalchemy as sa
from sqlalchemy.orm import Session

from arena.core.enums import CompetitionStatus, EvaluationKind, SubmissionStatus
from arena.core.errors import ArenaError
from arena.core.models import Competition, Submission, User, utcnow
from arena.core.settings import Settings
from arena.core.store.uploads import store_upload
from arena.services.evaluations import create_evaluation
from arena.services.phases import current_phase, daily_quota as phase_daily_quota
from arena.services.rules import check_rules_accepted
from arena.services.upload_rules import check_upload_fields, upload_refusal
from evaluator.dispatch import enqueue_evaluation
from sandbox.upload import validate_upload

_COPY_CHUNK = 1 << 20


class SubmissionError(ArenaError):
    """A submission the platform cannot accept right now (closed competition, no dataset)."""


class QuotaExceeded(ArenaError):
    """The participant used today's uploads; the message says when the UTC day resets."""

    http_status = 429


def day_start(now: datetime) -> datetime:
    """Midnight UTC of ``now``'s day: quotas count per UTC day."""
    now = now.astimezone(timezone.utc)
    return datetime.combine(now.date(), time(0), tzinfo=timezone.utc)


# Failures on the public smoke run are free (finding them is what the smoke run is for), up
# to this many times the daily quota per day, so that the free runs cannot be abused.
SMOKE_FAILURE_FACTOR = 4


def smoke_failure_cap(competition: Competition) -> int:
    """How many free smoke-run failures a participant has per day in ``competition``."""
    return SMOKE_FAILURE_FACTOR * competition.daily_quota


def charging_rule(competition: Competition, quota: int | None = None) -> str:
    """The charging rule in one sentence, as the submit page, the guide and the 429 say it."""
    quota = competition.daily_quota if quota is None else quota  # a phase may override it
    return (f"Each upload that is scored or fails on the hidden run uses one of your {quota} "
            f"daily uploads; an upload that fails the public smoke run does not (up to "
            f"{smoke_failure_cap(competition)} such failures a day), and neither does one the platform "
            f"could not evaluate.")


def _today(session: Session, user: User, competition: Competition, now: datetime, *condition) -> int:
    return session.scalar(
        sa.select(sa.func.count(Submission.id)).where(
            Submission.owner_id == user.id,
            Submission.competition_id == competition.id,
            Submission.is_baseline.is_(False),
            Submission.created_at >= day_start(now),
            *condition,
        )
    ) or 0


def uploads_today(session: Session, user: User, competition: Competition, now: datetime) -> int:
    """Uploads of ``user`` to ``competition`` today that count (smoke-run and platform failures do not)."""
    return _today(session, user, competition, now, Submission.counts_against_quota.is_(True))


def smoke_failures_today(session: Session, user: User, competition: Competition, now: datetime) -> int:
    """Today's uploads of ``user`` that failed the public smoke run (free, but capped)."""
    return _today(session, user, competition, now, Submission.failed_on_smoke.is_(True))


def check_quota(session: Session, user: User, competition: Competition, now: datetime) -> None:
    """Raise ``QuotaExceeded`` if ``user`` has no uploads (or no free smoke failures) left today."""
    resets = day_start(now) + timedelta(days=1)
    hours, minutes = divmod(int((resets - now).total_seconds()) // 60, 60)
    when = f"The count resets at {resets:%Y-%m-%d %H:%M} UTC (in {hours} h {minutes} min). "
    quota = phase_daily_quota(competition, now)  # the open phase's override, else the competition's
    if quota == 0:
        raise QuotaExceeded("quota_exceeded", "This competition's daily quota is 0: it accepts no uploads "
                                              "from participants at the moment. Ask the organizers when it reopens.")
    if uploads_today(session, user, competition, now) >= quota:
        raise QuotaExceeded("quota_exceeded",
                            f"You have used all {quota} uploads for today in this competition. "
                            + when + charging_rule(competition, quota))
    if smoke_failures_today(session, user, competition, now) >= smoke_failure_cap(competition):
        raise QuotaExceeded("smoke_failures_exceeded",
                            f"{smoke_failure_cap(competition)} of your uploads failed the public smoke run today. "
                            "Check your generator locally on the public dev set before uploading again. " + when)


def _spool(stream: BinaryIO, directory: Path) -> Path:
    """Write a stream to a temporary file in ``directory`` (same file system as the store)."""
    directory.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=directory, prefix=".upload-")
    with os.fdopen(fd, "wb") as out:
        shutil.copyfileobj(stream, out, _COPY_CHUNK)
    return Path(name)




def create_submission(
    session: Session,
    settings: Settings,
    user: User,
    competition: Competition,
    upload_path: Path | None = None,
    original_filename: str | None = None,
    label: str = "",
    notes: str = "",
    is_baseline: bool = False,
    stream: BinaryIO | None = None,
    now: datetime | None = None,
) -> Submission:
    """Validate and store an upload, commit a queued submission and evaluation, then enqueue.

    Give either ``upload_path`` or ``stream``. Commits ``session``.

    Raises:
        sandbox.errors.UploadRejected: the file is not an acceptable generator.
        QuotaExceeded: no uploads left today (baselines are exempt).
        SubmissionError: the competition refuses uploads now (``upload_rules.upload_refusal``).
        arena.services.rules.RulesNotAccepted: the participant has not accepted the competition's rules.
        arena.services.upload_rules.UploadFieldsRejected: a label, notes or file name breaks the rules.
    """
    if (upload_path is None) == (stream is None):
        raise TypeError("give exactly one of upload_path or stream")
    now = now or utcnow()
    if original_filename is None:
        original_filename = Path(upload_path).name if upload_path is not None else "upload.pt"
    label, notes, original_filename = check_upload_fields(label, notes, original_filename)
    refusal = upload_refusal(competition, user, now, is_baseline=is_baseline)
    if refusal is not None:
        raise SubmissionError(*refusal)
    check_rules_accepted(session, competition, user, is_baseline=is_baseline)
    # An organizer's upload to a draft rehearses it: kept off every public page for good.
    is_rehearsal = competition.status is CompetitionStatus.DRAFT and not is_baseline
    if not is_baseline and not is_rehearsal:
        check_quota(session, user, competition, now)

    spooled = _spool(stream, settings.uploads_dir / "incoming") if stream is not None else None
    try:
        info = validate_upload(spooled or Path(upload_path), settings.max_upload_mb * 1024 * 1024)
        store_upload(settings, spooled or Path(upload_path), info.sha256)
    finally:
        if spooled is not None and spooled.exists():
            spooled.unlink()

    if not is_baseline and not is_rehearsal:
        # Validation took a while and two uploads of one participant may race: take the
        # participant's row lock (PostgreSQL; SQLite ignores it and serialises writers
        # itself) and count again, so a quota of N admits exactly N.
        session.execute(sa.select(User.id).where(User.id == user.id).with_for_update())
        check_quota(session, user, competition, now)

    submission = Submission(
        owner_id=user.id,
        competition_id=competition.id,
        label=label,
        notes=notes,
        original_filename=original_filename,
        sha256=info.sha256,
        size_bytes=info.size,
        format=info.format,
        status=SubmissionStatus.QUEUED,
        is_baseline=is_baseline,
        is_rehearsal=is_rehearsal,
        phase_id=phase.id if (phase := current_phase(competition, now)) is not None else None,
        created_at=now,
    )
    session.add(submission)
    session.flush()
    evaluation = create_evaluation(session, submission, competition.hidden_dataset, competition.scorer_version,
                                   EvaluationKind.INITIAL)
    session.commit()
    # After the commit: a worker must find the row. Redis down is fine (the reconciler retries).
    enqueue_evaluation(settings, evaluation.id, evaluation.attempt)
    return submission
