"""`stylearena competition acceptances SLUG`: who accepted which version of the rules, and when."""
from __future__ import annotations

import click

from arena.cli.common import cli_session, echo_json, get_settings
from arena.cli.errors import arena_errors
from arena.services.competitions import get_competition
from arena.services.rules import acceptances, rules_sha256


@click.command("acceptances")
@click.argument("slug")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def acceptances_cmd(slug: str, as_json: bool) -> None:
    """List the participants who accepted SLUG's rules: the version (sha256) and the time, oldest first."""
    with arena_errors(), cli_session(get_settings()) as session:
        competition = get_competition(session, slug)
        current = rules_sha256(competition.rules)
        rows = [{"username": name, "rules_sha256": row.rules_sha256, "current": row.rules_sha256 == current,
                 "accepted_at": row.accepted_at.isoformat()} for name, row in acceptances(session, competition)]
        if as_json:
            echo_json({"competition": slug, "current_rules_sha256": current, "acceptances": rows})
            return
        click.echo(f"rules version now: {current[:12] if current else '- (no rules)'}")
        if not rows:
            click.echo("nobody has accepted the rules yet")
        for r in rows:
            mark = "" if r["current"] else "  (an earlier version)"
            click.echo(f"{r['username']:<24} {r['rules_sha256'][:12]}  {r['accepted_at']}{mark}")
