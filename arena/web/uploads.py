"""The one place the web form and the API hand an upload to the submissions service.

``create_submission`` validates the file, stores it content-addressed, checks the quota,
commits the queued submission and enqueues it; this adapter only maps the validator's
rejections onto the platform's error type so views can show them like any other.
"""
from __future__ import annotations

from pathlib import Path

from sqlalchemy.orm import Session
from werkzeug.datastructures import FileStorage

from arena.core.errors import ArenaError
from arena.core.models import Competition, Submission, User
from arena.services.submissions import create_submission
from arena.core.settings import Settings
from sandbox.errors import UploadRejected


class UploadProblem(ArenaError):
    """An upload the validator refused, with its code and participant-safe message."""


def accept_upload(session: Session, settings: Settings, user: User, competition: Competition,
                  upload: FileStorage, label: str, notes: str) -> Submission:
    """Create a queued submission from an uploaded file; raises ArenaError (incl. UploadProblem)."""
    try:
        return create_submission(
            session, settings, user, competition, stream=upload.stream,
            original_filename=Path(upload.filename or "upload").name, label=label, notes=notes,
        )
    except UploadRejected as exc:
        session.rollback()
        raise UploadProblem(exc.code, exc.message) from exc
    except ArenaError:
        session.rollback()
        raise
