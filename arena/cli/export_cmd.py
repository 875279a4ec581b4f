"""`stylearena export`: a competition's results as CSV or JSON."""
from __future__ import annotations

from pathlib import Path

import click

from arena.cli.common import cli_session, get_settings
from arena.cli.errors import arena_errors
from arena.services.competitions import get_competition
from arena.services.results import competition_results, results_to_csv, results_to_json


@click.command("export")
@click.argument("slug")
@click.option("--format", "fmt", type=click.Choice(["csv", "json"]), default="csv", show_default=True)
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), help="Write here instead of stdout.")
def export_cmd(slug: str, fmt: str, output: Path | None) -> None:
    """Export every submission of SLUG with its scores on the current hidden version."""
    with arena_errors(), cli_session(get_settings()) as session:
        competition = get_competition(session, slug)
        rows = competition_results(session, competition)
        text = results_to_csv(rows) if fmt == "csv" else results_to_json(competition, rows) + "\n"
    if output is None:
        click.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")
        click.echo(f"wrote {len(rows)} row(s) to {output}", err=True)


def register(cli: click.Group) -> None:
    """Attach this module's commands to the top-level group."""
    cli.add_command(export_cmd)
