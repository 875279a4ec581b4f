"""`stylearena arena`: the human preference arena for organizers (void votes, re-rate, export)."""
from __future__ import annotations

from pathlib import Path

import click
import sqlalchemy as sa

from arena.cli.common import cli_session, fail, get_settings
from arena.cli.errors import arena_errors
from arena.core.models import User
from arena.services.competitions import get_competition
from arena.services.preference.board import rate_competition
from arena.services.preference.votes import export_votes, void_votes


@click.group("arena")
def arena_group() -> None:
    """The human preference arena: votes and the human board."""


@arena_group.command("void-votes")
@click.argument("slug")
@click.argument("username")
def void_votes_cmd(slug: str, username: str) -> None:
    """Void every vote USERNAME cast in SLUG's arena and re-rate the human board."""
    with arena_errors(), cli_session(get_settings()) as session:
        competition = get_competition(session, slug)
        user = session.scalar(sa.select(User).where(User.username == username))
        if user is None:
            fail(f"There is no user called '{username}'; check the name with `stylearena user list`.")
        count = void_votes(session, competition, user)
        summary = rate_competition(session, competition.id)
    click.echo(f"voided {count} vote(s) of {username} in {slug}; the human board now rests on "
               f"{summary.valid_votes} valid vote(s)")


@arena_group.command("rate")
@click.argument("slug")
def rate_cmd(slug: str) -> None:
    """Refit SLUG's human board now (the workers do this after every burst of votes)."""
    with arena_errors(), cli_session(get_settings()) as session:
        summary = rate_competition(session, get_competition(session, slug).id)
    tau = "—" if summary.tau is None else f"{summary.tau:.3f} [{summary.tau_low:.3f}, {summary.tau_high:.3f}]"
    click.echo(f"{slug}: {summary.entries} entries, {summary.valid_votes} valid votes, "
               f"{summary.both_bad} both-bad; Kendall tau with {summary.ranking_metric}: {tau}")


@arena_group.command("export-votes")
@click.argument("slug")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), help="Write here instead of stdout.")
@click.option("--include-voided", is_flag=True, help="Also export voided votes (flagged in the 'voided' column).")
def export_votes_cmd(slug: str, output: Path | None, include_voided: bool) -> None:
    """SLUG's votes as CSV for research: pseudonymous voters, no names, no addresses."""
    settings = get_settings()
    with arena_errors(), cli_session(settings) as session:
        text = export_votes(session, get_competition(session, slug), settings.secret_key, include_voided)
    if output is None:
        click.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")
        click.echo(f"wrote {text.count(chr(10)) - 1} vote(s) to {output}", err=True)


def register(cli: click.Group) -> None:
    """Attach this module's commands to the top-level group."""
    cli.add_command(arena_group)
