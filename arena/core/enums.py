"""Statuses and kinds used across the platform, as ``str`` enums (never loose strings)."""
from __future__ import annotations

from enum import Enum


class UserRole(str, Enum):
    PARTICIPANT = "participant"
    ORGANIZER = "organizer"
    ADMIN = "admin"


class CompetitionStatus(str, Enum):
    DRAFT = "draft"
    OPEN = "open"
    CLOSED = "closed"


class DatasetSplit(str, Enum):
    PUBLIC = "public"
    HIDDEN = "hidden"


class SubmissionFormat(str, Enum):
    TORCHSCRIPT = "torchscript"
    PACKAGE = "package"
    # A torch.export program saved with torch.export.save (.pt2).
    EXPORT = "export"


class SubmissionStatus(str, Enum):
    QUEUED = "queued"
    RUNNING = "running"
    SCORED = "scored"
    FAILED = "failed"
    DISQUALIFIED = "disqualified"

    @property
    def is_final(self) -> bool:
        return self in (SubmissionStatus.SCORED, SubmissionStatus.FAILED, SubmissionStatus.DISQUALIFIED)


class EvaluationStatus(str, Enum):
    QUEUED = "queued"
    RUNNING = "running"
    SCORED = "scored"
    FAILED = "failed"


class EvaluationKind(str, Enum):
    """Why an evaluation exists: the first scoring of an upload, or an organizer's rescore."""

    INITIAL = "initial"
    RESCORE = "rescore"
