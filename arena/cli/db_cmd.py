"""`stylearena db`: schema migrations."""
from __future__ import annotations

import click

from arena.core import migrate
from arena.cli.common import get_settings


@click.group("db")
def db_group() -> None:
    """Migrate the database schema (Alembic)."""


@db_group.command("upgrade")
@click.argument("revision", default="head")
def upgrade(revision: str) -> None:
    """Upgrade the schema to REVISION (default: head)."""
    settings = get_settings()
    migrate.upgrade(settings.database_url, revision)
    click.echo(f"database at {migrate.current(settings.database_url)}")


@db_group.command("downgrade")
@click.argument("revision")
def downgrade(revision: str) -> None:
    """Downgrade the schema to REVISION ('base' drops every table)."""
    settings = get_settings()
    migrate.downgrade(settings.database_url, revision)
    click.echo(f"database at {migrate.current(settings.database_url) or 'base'}")


@db_group.command("current")
def current() -> None:
    """Print the revision the database is at."""
    click.echo(migrate.current(get_settings().database_url) or "base (empty database)")


def register(cli: click.Group) -> None:
    """Attach this module's commands to the top-level group."""
    cli.add_command(db_group)
