"""Helpers shared by the CLI sub-modules: settings, sessions, JSON output, clean errors."""
from __future__ import annotations

import json
from contextlib import contextmanager
from typing import Any, Iterator

import click
from sqlalchemy.orm import Session

from arena.core.db import make_engine, make_session_factory, transaction
from arena.core.settings import Settings


def get_settings(ctx: click.Context | None = None) -> Settings:
    """The process's settings, built once by the top-level group."""
    ctx = ctx or click.get_current_context()
    root = ctx.find_root()
    root.ensure_object(dict)
    if "settings" not in root.obj:
        root.obj["settings"] = Settings.from_env()
    return root.obj["settings"]


@contextmanager
def cli_session(settings: Settings) -> Iterator[Session]:
    """A session for one CLI command: commit on success, roll back on error."""
    engine = make_engine(settings.database_url)
    try:
        with transaction(make_session_factory(engine)) as session:
            yield session
    finally:
        engine.dispose()


def echo_json(data: Any) -> None:
    """Print one JSON document (for ``--json`` flags)."""
    click.echo(json.dumps(data, indent=2, sort_keys=True, default=str))


def fail(message: str, code: int = 1) -> None:
    """Stop the command with a clear message and a non-zero exit, never a traceback."""
    raise click.ClickException(message) if code == 1 else click.exceptions.Exit(code)
