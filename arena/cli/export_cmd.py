"""`stylearena export`: a competition's results, evaluation history or per-pair values as CSV or JSON."""
from __future__ import annotations

import json
from pathlib import Path

import click

from arena.cli.common import cli_session, get_settings
from arena.cli.errors import arena_errors
from arena.services.competitions import get_competition
from arena.services.exports import HISTORY_COLUMNS, PAIR_COLUMNS, evaluation_history, pair_results, rows_to_csv
from arena.services.results import competition_results, results_to_csv, results_to_json

TABLES = ("results", "history", "pairs")


@click.command("export")
@click.argument("slug")
@click.option("--format", "fmt", type=click.Choice(["csv", "json"]), default="csv", show_default=True)
@click.option("--table", type=click.Choice(TABLES), default="results", show_default=True,
              help="results: every submission with its board scores; history: every evaluation across dataset "
                   "versions and scorers; pairs: per-pair values of every scored evaluation (organizers only).")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), help="Write here instead of stdout.")
def export_cmd(slug: str, fmt: str, table: str, output: Path | None) -> None:
    """Export SLUG's results (CSV booleans are 1/0, as on the site; every row names its versions)."""
    settings = get_settings()
    with arena_errors(), cli_session(settings) as session:
        competition = get_competition(session, slug)
        if table == "results":
            rows = competition_results(session, competition)
            text = results_to_csv(rows) if fmt == "csv" else results_to_json(competition, rows) + "\n"
        else:
            rows = evaluation_history(session, competition) if table == "history" else \
                pair_results(session, settings, competition)
            columns = HISTORY_COLUMNS if table == "history" else PAIR_COLUMNS
            text = rows_to_csv(rows, columns) if fmt == "csv" else \
                json.dumps({"competition": slug, "table": table, "rows": rows}, indent=2, sort_keys=True) + "\n"
    if output is None:
        click.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")
        click.echo(f"wrote {len(rows)} row(s) to {output}", err=True)


def register(cli: click.Group) -> None:
    """Attach this module's commands to the top-level group."""
    cli.add_command(export_cmd)
