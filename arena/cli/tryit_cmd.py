"""`stylearena tryit`: the try-it feature for operators and organizers (sweep, per-competition opt-out)."""
from __future__ import annotations

import click

from arena.cli.common import cli_session, get_settings
from arena.cli.errors import arena_errors
from arena.core.db import make_engine, make_session_factory
from arena.services.competitions import get_competition
from evaluator.tryit_job import sweep_expired


@click.group("tryit")
def tryit_group() -> None:
    """Try it: visitors stylizing their own photos with opted-in models."""


@tryit_group.command("sweep")
def sweep_cmd() -> None:
    """Delete expired try-it requests and their images now (workers also do this between jobs)."""
    settings = get_settings()
    engine = make_engine(settings.database_url)
    try:
        deleted = sweep_expired(settings, make_session_factory(engine))
    finally:
        engine.dispose()
    click.echo(f"deleted {deleted} expired try-it request(s)")


@tryit_group.command("competition")
@click.argument("slug")
@click.option("--off/--on", "off", required=True, help="--off: no model of SLUG can be tried; --on: allow it again.")
def competition_cmd(slug: str, off: bool) -> None:
    """Opt competition SLUG out of try-it (--off), or back in (--on)."""
    with arena_errors(), cli_session(get_settings()) as session:
        competition = get_competition(session, slug)
        competition.try_it_disabled = off
    click.echo(f"try-it is {'off' if off else 'on'} for {slug}")


def register(cli: click.Group) -> None:
    """Attach this module's commands to the top-level group."""
    cli.add_command(tryit_group)
