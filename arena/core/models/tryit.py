"""Try it (issue 17): a visitor's request to stylize their own photo with an opted-in model.

The row is the source of truth (the ``tryit`` queue only delivers its id). The images are
content-addressed PNGs the host re-encoded itself (``arena.services.tryit.intake``); the row
names them by sha256 so the sweep can delete exactly what the request made once it expires.
"""
from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Optional

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from arena.core.models.base import Base, enum_column_type, utcnow
from arena.core.models.submission import Submission


class TryItStatus(str, Enum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class TryItRequest(Base):
    """One stylization a logged-in visitor asked for: their photo, a style, one model."""

    __tablename__ = "tryit_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    # An unguessable handle for URLs: ids are sequential, a visitor's photo is private.
    token: Mapped[str] = mapped_column(sa.String(32), unique=True)
    visitor_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    submission_id: Mapped[int] = mapped_column(sa.ForeignKey("submissions.id", ondelete="CASCADE"))
    status: Mapped[TryItStatus] = mapped_column(enum_column_type(TryItStatus, "tryit_status"),
                                                default=TryItStatus.QUEUED)
    error: Mapped[Optional[str]] = mapped_column(sa.Text)
    # sha256 of the client address with the app's secret: enough to rate-limit, not to locate.
    address_hash: Mapped[str] = mapped_column(sa.String(64), default="")
    content_sha256: Mapped[str] = mapped_column(sa.String(64))
    style_sha256: Mapped[str] = mapped_column(sa.String(64))
    result_sha256: Mapped[Optional[str]] = mapped_column(sa.String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[Optional[datetime]]
    finished_at: Mapped[Optional[datetime]]
    expires_at: Mapped[datetime]

    submission: Mapped[Submission] = relationship()

    __table_args__ = (
        sa.Index("ix_tryit_requests_visitor", "visitor_id", "created_at"),
        sa.Index("ix_tryit_requests_address", "address_hash", "created_at"),
        sa.Index("ix_tryit_requests_expires", "expires_at"),
    )
