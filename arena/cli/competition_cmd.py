"""`stylearena competition`: create, configure, list and show competitions."""
from __future__ import annotations

from datetime import datetime
from pathlib import Path

import click

from arena.cli.common import cli_session, echo_json, get_settings
from arena.cli.errors import arena_errors
from arena.services.publishing import assign_to_competition, find_version
from arena.core.datasets.errors import DatasetError
from arena.core.enums import CompetitionStatus
from evaluator.metrics.catalog import DEFAULT_RANKING_METRIC
from evaluator.scorer import INSTALLED, resolve_scorer
from arena.services.competitions import (
    RANKING_METRICS,
    CompetitionChanges,
    competition_summary,
    configure_competition,
    create_competition,
    get_competition,
    list_competitions,
)

DATE = click.DateTime(formats=["%Y-%m-%d", "%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"])


def _read_description(path: Path | None) -> str | None:
    return path.read_text(encoding="utf-8") if path is not None else None


def _settings_options(fn):
    """The options create and configure share."""
    options = [
        click.option("--description-file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
                     help="Markdown file with the description."),
        click.option("--ranking-metric", type=click.Choice(RANKING_METRICS), help="The metric the board ranks by."),
        click.option("--daily-quota", type=click.IntRange(min=0), help="Submissions per participant per day."),
        click.option("--starts", type=DATE, help="Start (UTC), e.g. 2026-01-31 or 2026-01-31T12:00."),
        click.option("--ends", type=DATE, help="End (UTC)."),
        click.option("--status", type=click.Choice([s.value for s in CompetitionStatus]), help="draft, open or closed."),
        click.option("--json", "as_json", is_flag=True, help="Print the competition as JSON."),
    ]
    for option in reversed(options):
        fn = option(fn)
    return fn


def _print(summary: dict[str, object], as_json: bool) -> None:
    if as_json:
        echo_json(summary)
        return
    for key, value in summary.items():
        if key == "description":
            continue
        if isinstance(value, dict):
            value = f"{value['sha256'][:12]} ({value['name']}, id {value['id']})"
        click.echo(f"{key:>16}: {'-' if value is None else value}")


@click.group("competition")
def competition_group() -> None:
    """Create and configure competitions."""


@competition_group.command("create")
@click.argument("slug")
@click.option("--title", required=True, help="The competition's title.")
@click.option("--scorer-version", default=INSTALLED, show_default=True,
              help="The scorer the board ranks by: a scorer id, or 'installed' for the one the installed "
                   "weights make (see `stylearena weights status`).")
@_settings_options
def create_cmd(slug: str, title: str, scorer_version: str, description_file: Path | None,
               ranking_metric: str | None, daily_quota: int | None, starts: datetime | None,
               ends: datetime | None, status: str | None, as_json: bool) -> None:
    """Create the competition SLUG."""
    settings = get_settings()
    scorer = resolve_scorer(scorer_version, settings.resolved_weights_dir)
    with arena_errors(), cli_session(settings) as session:
        competition = create_competition(
            session, slug, title, description=_read_description(description_file) or "",
            ranking_metric=ranking_metric or DEFAULT_RANKING_METRIC, daily_quota=5 if daily_quota is None else daily_quota,
            starts_at=starts, ends_at=ends, status=CompetitionStatus(status or "open"), scorer_version=scorer)
        if not as_json:
            click.echo(f"created competition '{slug}'")
        _print(competition_summary(competition), as_json)


@competition_group.command("configure")
@click.argument("slug")
@click.option("--title", help="A new title.")
@click.option("--public-dataset", help="Current public dataset version (id or sha256 prefix).")
@click.option("--hidden-dataset", help="Current hidden dataset version (id or sha256 prefix).")
@click.option("--scorer-version", help="The scorer the board ranks by (a scorer id, or 'installed').")
@_settings_options
def configure_cmd(slug: str, title: str | None, public_dataset: str | None, hidden_dataset: str | None,
                  scorer_version: str | None, description_file: Path | None, ranking_metric: str | None,
                  daily_quota: int | None, starts: datetime | None, ends: datetime | None, status: str | None,
                  as_json: bool) -> None:
    """Change settings or the current dataset versions of SLUG."""
    settings = get_settings()
    with arena_errors(), cli_session(settings) as session:
        competition = get_competition(session, slug)
        changes = CompetitionChanges(
            title=title, description=_read_description(description_file), ranking_metric=ranking_metric,
            daily_quota=daily_quota, status=CompetitionStatus(status) if status else None,
            starts_at=starts, ends_at=ends,
            scorer_version=resolve_scorer(scorer_version, settings.resolved_weights_dir))
        configure_competition(session, competition, changes)
        for ref, split in ((public_dataset, "public"), (hidden_dataset, "hidden")):
            if ref is None:
                continue
            version = find_version(session, ref)
            if version.split.value != split:
                raise DatasetError("wrong_split", f"Version {ref} is a {version.split.value} version, not {split}.")
            assign_to_competition(settings, competition, version)
        session.flush()
        if not as_json:
            click.echo(f"configured '{slug}'")
        _print(competition_summary(competition), as_json)


@competition_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def list_cmd(as_json: bool) -> None:
    """List the competitions."""
    with cli_session(get_settings()) as session:
        competitions = list_competitions(session)
        if as_json:
            echo_json([competition_summary(c) for c in competitions])
            return
        if not competitions:
            click.echo("no competitions yet (stylearena competition create SLUG --title ...)")
        for c in competitions:
            click.echo(f"{c.slug:<24} {c.status.value:<7} {c.ranking_metric:<13} {c.title}")


@competition_group.command("show")
@click.argument("slug")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def show_cmd(slug: str, as_json: bool) -> None:
    """Show the competition SLUG."""
    with arena_errors(), cli_session(get_settings()) as session:
        _print(competition_summary(get_competition(session, slug)), as_json)


def register(cli: click.Group) -> None:
    """Attach this module's commands to the top-level group."""
    from arena.cli.bundle_cmd import add_bundle_commands  # apply / export-bundle live in their own module

    add_bundle_commands(competition_group)
    cli.add_command(competition_group)
