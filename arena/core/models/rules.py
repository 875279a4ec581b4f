"""A participant's acceptance of a competition's rules (issue 15).

One row per version accepted: ``rules_sha256`` names the exact text, so an organizer can tell
who accepted which wording. An upload needs any acceptance of the competition's rules (see
``arena.services.rules``): a later edit of the rules does not lock participants out, it is
shown to them and they may accept the new wording, which adds a row.
"""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from arena.core.models.base import Base, utcnow


class RulesAcceptance(Base):
    """``user`` accepted the rules of ``competition`` whose text hashed to ``rules_sha256``, at ``accepted_at``."""

    __tablename__ = "rules_acceptances"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    competition_id: Mapped[int] = mapped_column(sa.ForeignKey("competitions.id", ondelete="CASCADE"))
    # sha256 of the rules text as stored (UTF-8), the version the participant saw and accepted.
    rules_sha256: Mapped[str] = mapped_column(sa.String(64))
    accepted_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        # Accepting the same wording twice records nothing new (and two racing clicks cannot both insert).
        sa.UniqueConstraint("user_id", "competition_id", "rules_sha256", name="uq_rules_acceptances_version"),
        sa.Index("ix_rules_acceptances_competition", "competition_id", "accepted_at"),
    )
