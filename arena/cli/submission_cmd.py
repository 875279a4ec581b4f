"""`stylearena submission`: disqualify and reinstate submissions."""
from __future__ import annotations

import click

from arena.cli.common import cli_session, echo_json, get_settings
from arena.cli.errors import arena_errors
from arena.services.moderation import disqualify_submission, reinstate_submission


@click.group("submission")
def submission_group() -> None:
    """Moderate submissions."""


@submission_group.command("disqualify")
@click.argument("submission_id", type=int)
@click.option("--reason", required=True, help="Why (shown to the participant).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def disqualify_cmd(submission_id: int, reason: str, as_json: bool) -> None:
    """Take SUBMISSION_ID off the leaderboard (its scores are kept)."""
    with arena_errors(), cli_session(get_settings()) as session:
        sub = disqualify_submission(session, submission_id, reason)
        if as_json:
            echo_json({"id": sub.id, "status": sub.status.value, "reason": sub.disqualified_reason})
        else:
            click.echo(f"submission {sub.id} disqualified: {sub.disqualified_reason}")


@submission_group.command("reinstate")
@click.argument("submission_id", type=int)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def reinstate_cmd(submission_id: int, as_json: bool) -> None:
    """Undo the disqualification of SUBMISSION_ID."""
    with arena_errors(), cli_session(get_settings()) as session:
        sub = reinstate_submission(session, submission_id)
        if as_json:
            echo_json({"id": sub.id, "status": sub.status.value})
        else:
            click.echo(f"submission {sub.id} reinstated ({sub.status.value})")


def register(cli: click.Group) -> None:
    """Attach this module's commands to the top-level group."""
    cli.add_command(submission_group)
