"""Personal API tokens: created once and shown once, stored only as a sha256, revocable."""
from __future__ import annotations

import hashlib
import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session

from arena.core.errors import ArenaError, NotFound
from arena.core.models import ApiToken, User, utcnow

TOKEN_PREFIX = "sa_"
MAX_ACTIVE_TOKENS = 20


def hash_token(raw: str) -> str:
    """The stored form of a token (tokens are random, so a plain sha256 is enough)."""
    return hashlib.sha256(raw.encode()).hexdigest()


def create_token(session: Session, user: User, name: str) -> tuple[ApiToken, str]:
    """A new token for ``user``; returns the row and the raw token, which is never stored."""
    name = name.strip()
    if not name or len(name) > 80:
        raise ArenaError("invalid_token_name", "Give the token a name of 1-80 characters.")
    if len(list_tokens(session, user)) >= MAX_ACTIVE_TOKENS:
        raise ArenaError("too_many_tokens", f"Revoke a token first: at most {MAX_ACTIVE_TOKENS} may be active.")
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(user_id=user.id, name=name, token_hash=hash_token(raw), prefix=raw[:10])
    session.add(token)
    session.flush()
    return token, raw


def list_tokens(session: Session, user: User) -> list[ApiToken]:
    """The user's active (unrevoked) tokens, newest first."""
    return list(session.scalars(
        select(ApiToken)
        .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
        .order_by(ApiToken.id.desc())
    ))


def revoke_token(session: Session, user: User, token_id: int) -> ApiToken:
    """Revoke one of the user's tokens; another user's token is reported as not found."""
    token = session.get(ApiToken, token_id)
    if token is None or token.user_id != user.id or token.revoked_at is not None:
        raise NotFound("token_not_found", "No such active token.")
    token.revoked_at = utcnow()
    session.flush()
    return token


def user_for_token(session: Session, raw: str) -> User | None:
    """The active user owning this unrevoked token (and mark it used), or None."""
    token = session.scalar(
        select(ApiToken).where(ApiToken.token_hash == hash_token(raw), ApiToken.revoked_at.is_(None))
    )
    if token is None or not token.user.is_active:
        return None
    token.last_used_at = utcnow()
    return token.user
