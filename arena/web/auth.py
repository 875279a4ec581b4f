"""Who is asking: the Flask-Login user loader and the API's bearer-token authentication."""
from __future__ import annotations

from functools import wraps
from typing import Callable, TypeVar

from flask import g, request

from arena.core.errors import ArenaError
from arena.core.models import User
from arena.services.tokens import user_for_token
from arena.web.db_session import get_session

F = TypeVar("F", bound=Callable)


class Unauthorized(ArenaError):
    http_status = 401


def load_user(user_id: str) -> User | None:
    """Flask-Login's loader: the active user with this id, or None."""
    try:
        user = get_session().get(User, int(user_id))
    except ValueError:
        return None
    return user if user is not None and user.is_active else None


def api_user_from_header() -> User | None:
    """The owner of the request's bearer token; None when no ``Authorization`` header is sent.

    Raises:
        Unauthorized: a header that is not a bearer token, or an unknown or revoked token
            (a bad token is never taken for a visitor: the client should hear it is wrong).
    """
    header = request.headers.get("Authorization", "")
    if not header:
        return None
    scheme, _, raw = header.partition(" ")
    if scheme.lower() != "bearer" or not raw.strip():
        raise Unauthorized("missing_token", "Send your API token as 'Authorization: Bearer <token>'.")
    session = get_session()
    user = user_for_token(session, raw.strip())
    if user is None:
        raise Unauthorized("invalid_token", "This API token is unknown or has been revoked.")
    session.commit()  # records last_used_at
    return user


def token_required(view: F) -> F:
    """Require ``Authorization: Bearer <token>``; sets ``g.api_user``."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        user = api_user_from_header()
        if user is None:
            raise Unauthorized("missing_token", "Send your API token as 'Authorization: Bearer <token>'.")
        g.api_user = user
        return view(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


def token_optional(view: F) -> F:
    """Accept a bearer token but do not require one; sets ``g.api_user`` (None for a visitor)."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        g.api_user = api_user_from_header()
        return view(*args, **kwargs)

    return wrapper  # type: ignore[return-value]
