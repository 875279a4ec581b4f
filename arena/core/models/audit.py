"""The organizer audit log: who did what to which competition, and when (issue 19)."""
from __future__ import annotations

from datetime import datetime
from typing import Any, Optional

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from arena.core.models.base import Base, utcnow


class AuditEntry(Base):
    """One organizer action. Rows are only ever added; ``competition_slug`` keeps the name readable
    even if the competition row is later removed."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor: Mapped[str] = mapped_column(sa.String(120))
    action: Mapped[str] = mapped_column(sa.String(40))
    competition_id: Mapped[Optional[int]] = mapped_column(
        sa.ForeignKey("competitions.id", ondelete="SET NULL"))
    competition_slug: Mapped[Optional[str]] = mapped_column(sa.String(60))
    details: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)

    __table_args__ = (sa.Index("ix_audit_log_competition", "competition_id", "at"),)
