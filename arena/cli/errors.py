"""Turning the platform's expected errors into clean CLI messages (never a traceback)."""
from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

import click

from arena.core.errors import ArenaError


@contextmanager
def arena_errors() -> Iterator[None]:
    """Re-raise ArenaError (and its subclasses) as a ClickException with the same message."""
    try:
        yield
    except ArenaError as exc:
        raise click.ClickException(exc.message) from None
