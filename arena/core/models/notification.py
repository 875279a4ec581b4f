"""Emails the platform has sent (or tried to): one row per outcome, so none is sent twice."""
from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Optional

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from arena.core.models.base import Base, enum_column_type, utcnow


class NotificationKind(str, Enum):
    """What an email announces."""

    SUBMISSION_RESULT = "submission_result"  # to the owner: scored or failed
    RESCORE_FINISHED = "rescore_finished"  # to an organizer: the last evaluation of a rescore is final


class Notification(Base):
    """One email to one recipient about one outcome.

    ``key`` names the outcome (``evaluation:<id>`` or ``rescore:<competition>:…:<user>``) and is
    unique: the row is inserted before the mail is sent, so a duplicate job, a retry or a re-run
    loses the insert and sends nothing. ``sent_at`` stays empty and ``error`` says why when the
    SMTP server refused or could not be reached.
    """

    __tablename__ = "notifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(sa.String(200), unique=True)
    kind: Mapped[NotificationKind] = mapped_column(enum_column_type(NotificationKind, "notification_kind"))
    user_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"), index=True)
    competition_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("competitions.id", ondelete="SET NULL"))
    evaluation_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("evaluations.id", ondelete="SET NULL"))
    recipient: Mapped[str] = mapped_column(sa.String(254))
    subject: Mapped[str] = mapped_column(sa.String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[Optional[datetime]]
    error: Mapped[Optional[str]] = mapped_column(sa.Text)
