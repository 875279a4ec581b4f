"""The organizer audit log: one ``record`` call per organizer action, and reading it back.

Every service that changes a competition on an organizer's behalf calls ``record`` in the same
transaction as the change, so an entry exists exactly when the change was committed.
"""
from __future__ import annotations

import getpass
import os
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from arena.core.models import AuditEntry, Competition

# The actions the log knows; a typo in a caller fails loudly instead of writing a new action name.
ACTIONS = ("create", "configure", "publish", "switch", "rescore", "disqualify", "reinstate",
           "baseline_add", "baseline_remove", "phase", "finalize")


def cli_actor() -> str:
    """Who runs this CLI process: ``cli:<os user>`` (the CLI has no login of its own)."""
    try:
        name = getpass.getuser()
    except (KeyError, OSError):  # no passwd entry (some containers)
        name = os.environ.get("USER", "unknown")
    return f"cli:{name}"


def record(session: Session, action: str, competition: Competition | None, details: dict[str, Any] | None = None,
           actor: str | None = None, at: datetime | None = None) -> AuditEntry:
    """Add one audit entry (flushed, not committed: it commits with the change it describes)."""
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}; add it to arena.services.audit.ACTIONS")
    entry = AuditEntry(
        actor=(actor or cli_actor())[:120], action=action,
        competition_id=competition.id if competition is not None else None,
        competition_slug=competition.slug if competition is not None else None,
        details=_jsonable(details or {}),
    )
    if at is not None:
        entry.at = at
    session.add(entry)
    session.flush()
    return entry


def _jsonable(value: Any) -> Any:
    """Dates and enums as strings, so the JSON column accepts the details as given."""
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, datetime):
        return value.isoformat()
    if hasattr(value, "value") and isinstance(getattr(value, "value"), str):
        return value.value
    return value


def entries(session: Session, competition: Competition, limit: int = 500) -> list[AuditEntry]:
    """The competition's audit entries, newest first."""
    return list(session.scalars(
        sa.select(AuditEntry).where(AuditEntry.competition_id == competition.id)
        .order_by(AuditEntry.at.desc(), AuditEntry.id.desc()).limit(limit)))


def entry_json(entry: AuditEntry) -> dict[str, Any]:
    """A JSON-ready audit entry."""
    return {"id": entry.id, "at": entry.at.isoformat(), "actor": entry.actor, "action": entry.action,
            "competition": entry.competition_slug, "details": entry.details}
