"""Accounts: creating users and checking passwords (hashes only, never plain text)."""
from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from arena.core.enums import UserRole
from arena.core.errors import ArenaError
from arena.core.models import User

USERNAME_RE = re.compile(r"^[A-Za-z0-9_.-]{3,40}$")
MIN_PASSWORD_LENGTH = 8


class AccountError(ArenaError):
    """A registration or login problem the user can fix."""


def create_user(
    session: Session,
    username: str,
    password: str,
    email: str | None = None,
    role: UserRole = UserRole.PARTICIPANT,
) -> User:
    """Create a user with a hashed password; raises AccountError on a bad or taken name."""
    if not USERNAME_RE.match(username):
        raise AccountError(
            "invalid_username", "Usernames are 3-40 letters, digits, '.', '_' or '-'."
        )
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(
            "weak_password", f"Passwords need at least {MIN_PASSWORD_LENGTH} characters."
        )
    if session.scalar(select(User.id).where(User.username == username)) is not None:
        raise AccountError("username_taken", f"The username '{username}' is already taken.")
    if email and session.scalar(select(User.id).where(User.email == email)) is not None:
        raise AccountError("email_taken", "An account with this email already exists.")
    user = User(username=username, email=email or None, role=role,
                password_hash=generate_password_hash(password))
    session.add(user)
    session.flush()
    return user


def authenticate(session: Session, username: str, password: str) -> User | None:
    """The active user with this name and password, or None."""
    user = session.scalar(select(User).where(User.username == username))
    if user is None or not user.is_active or not check_password_hash(user.password_hash, password):
        return None
    return user
