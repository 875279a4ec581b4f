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


# Deliberately loose (one @, a dot in the domain, no spaces): the mail server is the real check.
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def set_notification_preferences(session: Session, user: User, email: str | None, notify_on_result: bool) -> User:
    """Set the user's email address and whether outcome emails are sent (flushed, not committed).

    Raises AccountError when the address is malformed or another account has it, or when
    emails are asked for without an address.
    """
    email = (email or "").strip() or None
    if email is not None:
        if len(email) > 254 or not EMAIL_RE.match(email):
            raise AccountError("invalid_email", "Enter an email address like name@example.org.")
        if session.scalar(select(User.id).where(User.email == email, User.id != user.id)) is not None:
            raise AccountError("email_taken", "Another account uses this email address; enter a different one.")
    if notify_on_result and email is None:
        raise AccountError("email_required", "Add an email address to get emails, or leave the box unticked.")
    user.email = email
    user.notify_on_result = notify_on_result
    session.flush()
    return user
