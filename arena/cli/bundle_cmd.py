"""`stylearena competition apply | export-bundle`: a competition declared in one YAML file."""
from __future__ import annotations

from pathlib import Path

import click

from arena.cli.common import cli_session, get_settings
from arena.cli.errors import arena_errors
from arena.services.bundle import apply_bundle, export_bundle
from arena.services.competitions import get_competition
from arena.services.publishing import metrics_reference_stats


def _shown(value: object) -> str:
    text = "-" if value is None else str(value)
    return text if len(text) <= 60 and "\n" not in text else f"{len(text)} characters"


@click.command("apply")
@click.argument("bundle", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Print what would change and change nothing.")
@click.option("--no-reference-stats", is_flag=True, help="Skip precomputing the reference statistics of new versions.")
def apply_cmd(bundle: Path, dry_run: bool, no_reference_stats: bool) -> None:
    """Create or update the competition BUNDLE.yaml declares; applying it twice changes nothing."""
    settings = get_settings()
    with arena_errors(), cli_session(settings) as session:
        result = apply_bundle(session, settings, bundle, dry_run=dry_run,
                              reference_stats=None if no_reference_stats else metrics_reference_stats)
        if dry_run:
            session.rollback()
        if not result.changes:
            click.echo(f"no change: competition '{result.slug}' already matches {bundle.name}")
            return
        verb = ("would create" if result.created else "would update") if dry_run else \
            ("created" if result.created else "updated")
        click.echo(f"{verb} competition '{result.slug}':")
        for change in result.changes:
            click.echo(f"  {change.field}: {_shown(change.old)} -> {_shown(change.new)}")
        if result.next_steps:
            click.echo("a dataset version is staged (the board is unchanged); to switch, run:")
            for step in result.next_steps:
                click.echo(f"  {step}")


@click.command("export-bundle")
@click.argument("slug")
@click.option("--output", "-o", type=click.Path(file_okay=False, path_type=Path), required=True,
              help="Folder to write bundle.yaml, description.md and (with rules) rules.md into.")
def export_bundle_cmd(slug: str, output: Path) -> None:
    """Write the competition SLUG as a bundle (datasets as published versions)."""
    with arena_errors(), cli_session(get_settings()) as session:
        competition = get_competition(session, slug)
        text, description = export_bundle(competition)
        rules = competition.rules or ""
    output.mkdir(parents=True, exist_ok=True)
    (output / "bundle.yaml").write_text(text, encoding="utf-8")
    (output / "description.md").write_text(description, encoding="utf-8")
    written = [output / "bundle.yaml", output / "description.md"]
    if rules:  # the bundle names rules.md only when there are rules (see export_bundle)
        (output / "rules.md").write_text(rules, encoding="utf-8")
        written.append(output / "rules.md")
    click.echo("wrote " + ", ".join(map(str, written)))


def add_bundle_commands(group: click.Group) -> None:
    """Attach ``apply`` and ``export-bundle`` to the ``competition`` group."""
    group.add_command(apply_cmd)
    group.add_command(export_bundle_cmd)
