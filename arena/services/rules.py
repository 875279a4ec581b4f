"""A competition's rules: which version is current, who accepted it, and the upload rule they make.

The one owner of "has this participant accepted the rules": the upload service asks
``rules_refusal`` beside ``upload_rules.upload_refusal``, the submit page and the API's limits
route predict with it, and the rules page and the API's accept route record with ``accept_rules``.

Decision (issue 15): a participant accepts once. When the organizer edits the rules later, an
earlier acceptance still lets them upload (locking out every participant mid-competition for a
typo fix would be worse than the risk); the page tells them the wording changed and they may
accept the new version, which records a second row, so an organizer can see who accepted which.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from arena.core.errors import ArenaError
from arena.core.models import Competition, RulesAcceptance, User, utcnow

RULES_NOT_ACCEPTED = "rules_not_accepted"


class RulesNotAccepted(ArenaError):
    """An upload by a participant who has not accepted the competition's rules yet."""

    http_status = 403

    def __init__(self, code: str, message: str, competition: Competition) -> None:
        super().__init__(code, message)
        # Joined to the API's JSON error (``arena.web.errors``), made absolute for the host asked.
        self.details = {"rules_url": rules_path(competition), "accept_url": accept_api_path(competition)}


class NoRulesToAccept(ArenaError):
    """Accepting the rules of a competition that has none."""

    http_status = 409


@dataclass(frozen=True)
class RulesState:
    """The rules as one participant stands with them (``required`` False: nothing to accept)."""

    required: bool
    current_sha256: str | None
    accepted: bool  # any version accepted (what uploads need)
    accepted_sha256: str | None  # the latest version they accepted
    accepted_at: datetime | None

    @property
    def accepted_current(self) -> bool:
        return self.accepted and self.accepted_sha256 == self.current_sha256

    @property
    def changed_since(self) -> bool:
        """They accepted an earlier wording than the one shown now."""
        return self.accepted and not self.accepted_current


def rules_path(competition: Competition) -> str:
    """The rules page's path (the web blueprint routes it; messages name it without a request)."""
    return f"/competitions/{competition.slug}/rules"


def accept_api_path(competition: Competition) -> str:
    """The API route that records an acceptance with a personal token."""
    return f"/api/v1/competitions/{competition.slug}/rules/accept"


def has_rules(competition: Competition) -> bool:
    """Whether the competition has rules to accept (whitespace-only text is none)."""
    return bool((competition.rules or "").strip())


def rules_sha256(text: str | None) -> str | None:
    """The version id of a rules text: sha256 of its UTF-8 bytes as stored; None when there are no rules."""
    if not (text or "").strip():
        return None
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def latest_acceptance(session: Session, user: User, competition: Competition) -> RulesAcceptance | None:
    """The participant's most recent acceptance of the competition's rules (any version), or None."""
    return session.scalar(
        sa.select(RulesAcceptance)
        .where(RulesAcceptance.user_id == user.id, RulesAcceptance.competition_id == competition.id)
        .order_by(RulesAcceptance.accepted_at.desc(), RulesAcceptance.id.desc())
        .limit(1))


def rules_state(session: Session, user: User | None, competition: Competition) -> RulesState:
    """Where ``user`` (None or anonymous: a visitor) stands with the competition's rules."""
    current = rules_sha256(competition.rules)
    signed_in = user is not None and bool(getattr(user, "is_authenticated", False))
    last = latest_acceptance(session, user, competition) if signed_in and current else None
    return RulesState(required=current is not None, current_sha256=current, accepted=last is not None,
                      accepted_sha256=last.rules_sha256 if last else None,
                      accepted_at=last.accepted_at if last else None)


def accept_rules(session: Session, user: User, competition: Competition,
                 now: datetime | None = None) -> RulesAcceptance:
    """Record that ``user`` accepts the competition's current rules; the existing row if already accepted.

    Flushes, does not commit (the caller's transaction decides).

    Raises:
        NoRulesToAccept: the competition has no rules text.
    """
    current = rules_sha256(competition.rules)
    if current is None:
        raise NoRulesToAccept("no_rules", "This competition has no rules to accept; you can upload without.")
    query = sa.select(RulesAcceptance).where(
        RulesAcceptance.user_id == user.id, RulesAcceptance.competition_id == competition.id,
        RulesAcceptance.rules_sha256 == current)
    existing = session.scalar(query)
    if existing is not None:
        return existing
    row = RulesAcceptance(user_id=user.id, competition_id=competition.id, rules_sha256=current,
                          accepted_at=now or utcnow())
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:
        # A second click raced this one and inserted the same version: theirs is the record.
        return session.scalar(query)
    return row


def rules_exempt(competition: Competition, user: User | None, is_baseline: bool = False) -> bool:
    """Organizers write the rules: their uploads (baselines, draft rehearsals) need no acceptance."""
    return is_baseline or (user is not None and bool(getattr(user, "is_organizer", False)))


def rules_refusal(session: Session, competition: Competition, user: User | None,
                  is_baseline: bool = False) -> tuple[str, str] | None:
    """(code, message) when ``user`` must accept the rules before uploading; None when they need not or did."""
    if not has_rules(competition) or rules_exempt(competition, user, is_baseline):
        return None
    if user is None or not getattr(user, "is_authenticated", False):
        return None  # a visitor is asked to log in first (the availability check says so)
    if latest_acceptance(session, user, competition) is not None:
        return None
    return RULES_NOT_ACCEPTED, (f"Accept the competition's rules before your first upload: read them at "
                                f"{rules_path(competition)} and press 'I accept the rules'.")


def check_rules_accepted(session: Session, competition: Competition, user: User | None,
                         is_baseline: bool = False) -> None:
    """Raise RulesNotAccepted when ``rules_refusal`` refuses (the upload service's call)."""
    refusal = rules_refusal(session, competition, user, is_baseline)
    if refusal is not None:
        raise RulesNotAccepted(*refusal, competition=competition)


def acceptances(session: Session, competition: Competition) -> list[tuple[str, RulesAcceptance]]:
    """Every acceptance of the competition's rules, oldest first, with the participant's username."""
    rows = session.execute(
        sa.select(User.username, RulesAcceptance).join(User, User.id == RulesAcceptance.user_id)
        .where(RulesAcceptance.competition_id == competition.id)
        .order_by(RulesAcceptance.accepted_at, RulesAcceptance.id))
    return [(name, row) for name, row in rows]
