"""`stylearena competition`: create, configure, list and show competitions."""
from __future__ import annotations

from pathlib import Path

import click

from arena.cli.common import cli_session, echo_json, get_settings
from arena.cli.errors import arena_errors
from arena.services.audit import cli_actor
from arena.services.publishing import assign_to_competition, find_version
from arena.services.switch import switch_board
from arena.core.datasets.errors import DatasetError
from arena.core.enums import CompetitionStatus
from evaluator.metrics.catalog import DEFAULT_RANKING_METRIC
from evaluator.metrics.optional_catalog import OPTIONAL_METRICS
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

# Dates stay text here: the service reads them in the competition's time zone (a bare date is the
# start or the END of that day there; an offset such as +02:00 wins), so both paths agree.
DATE_HELP = "2027-01-31, 2027-01-31T18:00 or 2027-01-31T18:00+02:00, in the competition's --timezone"


def _read_description(path: Path | None) -> str | None:
    return path.read_text(encoding="utf-8") if path is not None else None


def _settings_options(fn):
    """The options create and configure share."""
    options = [
        click.option("--description-file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
                     help="Markdown file with the description."),
        click.option("--rules-file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
                     help="Markdown file with the rules participants accept before their first upload "
                          "(an empty file removes them)."),
        click.option("--ranking-metric", type=click.Choice(RANKING_METRICS), help="The metric the board ranks by."),
        click.option("--daily-quota", type=click.IntRange(min=0), help="Submissions per participant per day."),
        click.option("--starts", help=f"When uploads open: {DATE_HELP}; a bare date is the start of that day."),
        click.option("--ends", help=f"When uploads close: {DATE_HELP}; a bare date is the END of that day."),
        click.option("--timezone", "zone", help="IANA time zone the dates are read and shown in (default UTC), "
                                                "e.g. Europe/Paris."),
        click.option("--status", type=click.Choice([s.value for s in CompetitionStatus]),
                     help="draft, open or closed (create makes a draft unless told otherwise)."),
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
def create_cmd(slug: str, title: str, scorer_version: str, description_file: Path | None, rules_file: Path | None,
               ranking_metric: str | None, daily_quota: int | None, starts: str | None,
               ends: str | None, zone: str | None, status: str | None, as_json: bool) -> None:
    """Create the competition SLUG (a draft: only organizers see it until `configure SLUG --status open`)."""
    settings = get_settings()
    scorer = resolve_scorer(scorer_version, settings.resolved_weights_dir)
    with arena_errors(), cli_session(settings) as session:
        competition = create_competition(
            session, slug, title, description=_read_description(description_file) or "",
            rules=_read_description(rules_file) or "",
            ranking_metric=ranking_metric or DEFAULT_RANKING_METRIC, daily_quota=5 if daily_quota is None else daily_quota,
            starts_at=starts, ends_at=ends, status=CompetitionStatus(status or "draft"), scorer_version=scorer,
            timezone=zone or "UTC", actor=cli_actor())
        if not as_json:
            click.echo(f"created competition '{slug}'")
            if competition.status is CompetitionStatus.DRAFT:
                click.echo(f"it is a draft: organizers can rehearse it; open it with "
                           f"`stylearena competition configure {slug} --status open`", err=True)
        _print(competition_summary(competition), as_json)


@competition_group.command("configure")
@click.argument("slug")
@click.option("--title", help="A new title.")
@click.option("--public-dataset", help="Current public dataset version (id or sha256 prefix).")
@click.option("--hidden-dataset", help="Current hidden dataset version (id or sha256 prefix).")
@click.option("--scorer-version", help="The scorer the board ranks by (a scorer id, or 'installed').")
@click.option("--force", is_flag=True, help="Switch the hidden dataset or scorer even though some submissions "
                                            "are not evaluated there yet (the board hides them until they are).")
@click.option("--metrics", help="Optional metrics to compute besides the standard ones, comma-separated "
                                f"({', '.join(OPTIONAL_METRICS)}), or 'none'.")
@click.option("--final-submissions", "final_submissions_k", type=click.IntRange(min=1),
              help="How many submissions each participant may mark as final for the private board (default 2).")
@click.option("--sandbox-timeout", "sandbox_timeout_s", type=click.IntRange(min=0), metavar="SECONDS",
              help="Time limit of each run of this competition's generators, at most the platform's cap "
                   "(STYLEARENA_SANDBOX_TIMEOUT_S); 0 = the platform's limit.")
@click.option("--sandbox-memory", "sandbox_memory_mb", type=click.IntRange(min=0), metavar="MB",
              help="Memory limit of each run, at most the platform's cap (STYLEARENA_SANDBOX_MEMORY_MB); "
                   "0 = the platform's limit.")
@click.option("--runtime-image", metavar="RECIPE",
              help="The image its generators run in: a recipe built on this host (`stylearena sandbox images`).")
@_settings_options
def configure_cmd(slug: str, title: str | None, public_dataset: str | None, hidden_dataset: str | None,
                  scorer_version: str | None, force: bool, metrics: str | None, final_submissions_k: int | None,
                  sandbox_timeout_s: int | None, sandbox_memory_mb: int | None, runtime_image: str | None,
                  description_file: Path | None,
                  rules_file: Path | None,
                  ranking_metric: str | None, daily_quota: int | None, starts: str | None, ends: str | None,
                  zone: str | None, status: str | None, as_json: bool) -> None:
    """Change settings or the current dataset versions of SLUG."""
    settings = get_settings()
    with arena_errors(), cli_session(settings) as session:
        competition = get_competition(session, slug)
        if runtime_image is not None:
            from arena.services.runtime_images import require_built  # noqa: PLC0415 - the Docker SDK only here

            require_built(settings, runtime_image)  # before anything changes
        versions = {}
        for ref, split in ((public_dataset, "public"), (hidden_dataset, "hidden")):
            if ref is None:
                continue
            version = find_version(session, ref)
            if version.split.value != split:
                raise DatasetError("wrong_split", f"Version {ref} is a {version.split.value} version, not {split}.")
            versions[split] = version
        scorer = resolve_scorer(scorer_version, settings.resolved_weights_dir)
        # The board's target first (the organizer page's switch button calls the same service); a
        # refused switch raises before anything changes, and an error below rolls it all back.
        warning = switch_board(session, settings, competition, versions.pop("hidden", None), scorer, force=force,
                               actor=cli_actor())
        changes = CompetitionChanges(
            title=title, description=_read_description(description_file), rules=_read_description(rules_file),
            ranking_metric=ranking_metric,
            daily_quota=daily_quota, status=CompetitionStatus(status) if status else None,
            starts_at=starts, ends_at=ends, timezone=zone, optional_metrics=metrics,
            final_submissions_k=final_submissions_k, sandbox_timeout_s=sandbox_timeout_s,
            sandbox_memory_mb=sandbox_memory_mb, runtime_image=runtime_image)
        configure_competition(session, competition, changes, actor=cli_actor(), sandbox=settings.sandbox)
        for version in versions.values():
            assign_to_competition(settings, competition, version)
        session.flush()
        if warning:
            click.echo(warning, err=True)
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
    from arena.cli.phase_cmd import phase_group  # `competition phase ...` too
    from arena.cli.rules_cmd import acceptances_cmd  # who accepted the rules (issue 15)
    from arena.cli.finalize_cmd import finalize_cmd  # the private board (issue 15)

    add_bundle_commands(competition_group)
    competition_group.add_command(acceptances_cmd)
    competition_group.add_command(phase_group)
    competition_group.add_command(finalize_cmd)
    cli.add_command(competition_group)
