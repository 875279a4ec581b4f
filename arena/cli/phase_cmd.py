"""`stylearena competition phase add|edit|list|remove SLUG ...`: a competition's phases (issue 15)."""
from __future__ import annotations

import click

from arena.cli.common import cli_session, echo_json, get_settings
from arena.cli.errors import arena_errors
from arena.core.models import utcnow
from arena.services.audit import cli_actor
from arena.services.competitions import get_competition
from arena.services.phases import (
    CLEAR,
    PhaseChanges,
    add_phase,
    edit_phase,
    get_phase,
    list_phases,
    phase_summary,
    remove_phase,
    timeline,
)
from arena.services.publishing import find_version

# The same reading as `competition configure --starts/--ends` (services.competitions.parse_when).
DATE_HELP = ("2027-01-31, 2027-01-31T18:00 or 2027-01-31T18:00+02:00, in the competition's time zone; "
             f"'{CLEAR}' = the competition's own date")


def _phase_options(fn):
    """The options add and edit share."""
    options = [
        click.option("--starts", help=f"When the phase opens: {DATE_HELP}; a bare date is the start of that day."),
        click.option("--ends", help=f"When the phase closes: {DATE_HELP}; a bare date is the END of that day."),
        click.option("--daily-quota", help=f"Uploads per participant per UTC day in this phase; '{CLEAR}' = "
                                           "the competition's quota."),
        click.option("--dataset", help="The dataset version shown for this phase (id or sha256 prefix), or "
                                       f"'{CLEAR}'. Shown on the timeline only: scoring uses the competition's "
                                       "hidden version."),
        click.option("--json", "as_json", is_flag=True, help="Print the phases as JSON."),
    ]
    for option in reversed(options):
        fn = option(fn)
    return fn


def _changes(session, name, starts, ends, daily_quota, dataset) -> PhaseChanges:
    version = dataset
    if dataset is not None and dataset.strip().lower() != CLEAR:
        version = find_version(session, dataset)
    return PhaseChanges(name=name, starts_at=starts, ends_at=ends, daily_quota=daily_quota, dataset_version=version)


def _print(competition, as_json: bool) -> None:
    if as_json:
        echo_json([phase_summary(competition, p) for p in list_phases(competition)])
        return
    entries = timeline(competition, utcnow()).entries
    if not list_phases(competition):
        click.echo(f"'{competition.slug}' has no phases: it is one open-ended phase "
                   f"(add one with `stylearena competition phase add {competition.slug} NAME --starts ...`)")
        return
    for entry, phase in zip(entries, list_phases(competition)):
        w = entry.window
        quota = f"{w.daily_quota}/day" + ("" if phase.daily_quota is not None else " (competition's)")
        click.echo(f"{w.position + 1}. {w.name:<16} {entry.state.value:<8} {entry.starts_text or 'from the start':<26} "
                   f"-> {entry.ends_text or 'open-ended':<26} {quota}"
                   + (f"  dataset {phase.dataset_version.name} (id {phase.dataset_version.id})"
                      if phase.dataset_version is not None else ""))


@click.group("phase")
def phase_group() -> None:
    """Add, edit, list and remove a competition's phases (dated stretches a submission belongs to)."""


@phase_group.command("list")
@click.argument("slug")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def list_cmd(slug: str, as_json: bool) -> None:
    """List the phases of SLUG in order, with the state each is in now."""
    with arena_errors(), cli_session(get_settings()) as session:
        _print(get_competition(session, slug), as_json)


@phase_group.command("add")
@click.argument("slug")
@click.argument("name")
@_phase_options
def add_cmd(slug: str, name: str, starts: str | None, ends: str | None, daily_quota: str | None,
            dataset: str | None, as_json: bool) -> None:
    """Add the phase NAME to SLUG (phases may touch but not overlap; their order follows their dates)."""
    with arena_errors(), cli_session(get_settings()) as session:
        competition = get_competition(session, slug)
        add_phase(session, competition, name, _changes(session, None, starts, ends, daily_quota, dataset),
                  actor=cli_actor())
        if not as_json:
            click.echo(f"added phase '{name}' to '{slug}'")
        _print(competition, as_json)


@phase_group.command("edit")
@click.argument("slug")
@click.argument("name")
@click.option("--name", "new_name", help="A new name for the phase.")
@_phase_options
def edit_cmd(slug: str, name: str, new_name: str | None, starts: str | None, ends: str | None,
             daily_quota: str | None, dataset: str | None, as_json: bool) -> None:
    """Change the phase NAME of SLUG (only the options given change)."""
    with arena_errors(), cli_session(get_settings()) as session:
        competition = get_competition(session, slug)
        phase = edit_phase(session, competition, name,
                           _changes(session, new_name, starts, ends, daily_quota, dataset), actor=cli_actor())
        if not as_json:
            click.echo(f"edited phase '{phase.name}' of '{slug}'")
        _print(competition, as_json)


@phase_group.command("remove")
@click.argument("slug")
@click.argument("name")
def remove_cmd(slug: str, name: str) -> None:
    """Remove the phase NAME from SLUG (refused while submissions belong to it)."""
    with arena_errors(), cli_session(get_settings()) as session:
        competition = get_competition(session, slug)
        name = get_phase(competition, name).name
        remove_phase(session, competition, name, actor=cli_actor())
        click.echo(f"removed phase '{name}' from '{slug}'")
        _print(competition, False)
