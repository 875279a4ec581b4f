"""`stylearena audit SLUG`: the organizer actions recorded for a competition, newest first."""
from __future__ import annotations

import json

import click

from arena.cli.common import cli_session, echo_json, get_settings
from arena.cli.errors import arena_errors
from arena.services.audit import entries, entry_json
from arena.services.competitions import get_competition


@click.command("audit")
@click.argument("slug")
@click.option("--limit", type=click.IntRange(min=1), default=100, show_default=True, help="How many entries.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def audit_cmd(slug: str, limit: int, as_json: bool) -> None:
    """Who did what to SLUG and when: create, configure, publish, switch, rescore, moderation, baselines."""
    with arena_errors(), cli_session(get_settings()) as session:
        rows = [entry_json(e) for e in entries(session, get_competition(session, slug), limit=limit)]
    if as_json:
        echo_json(rows)
        return
    if not rows:
        click.echo(f"no organizer actions recorded for '{slug}'")
    for r in rows:
        click.echo(f"{r['at'][:19]}  {r['actor']:<16} {r['action']:<15} {json.dumps(r['details'], sort_keys=True)}")


def register(cli: click.Group) -> None:
    """Attach this module's commands to the top-level group."""
    cli.add_command(audit_cmd)
