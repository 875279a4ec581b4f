"""The root of the platform's expected errors: each carries a code and a user-safe message."""
from __future__ import annotations


class ArenaError(Exception):
    """An expected failure a user can act on; ``code`` is stable, ``message`` is user-safe."""

    http_status = 400

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class NotFound(ArenaError):
    http_status = 404


class Forbidden(ArenaError):
    http_status = 403
