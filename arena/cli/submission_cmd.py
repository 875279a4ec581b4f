"""`stylearena submission`: show (everything, for organizers), disqualify and reinstate submissions."""
from __future__ import annotations

import json
from datetime import datetime

import click

from arena.cli.common import cli_session, echo_json, get_settings
from arena.cli.errors import arena_errors
from arena.services.audit import cli_actor
from arena.services.competitions import get_competition
from arena.services.moderation import competition_submission, describe, disqualify_submission, reinstate_submission
from arena.services.review import SubmissionReview, submission_review


@click.group("submission")
def submission_group() -> None:
    """Inspect and moderate submissions."""


@submission_group.command("show")
@click.argument("submission_id", type=int)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def show_cmd(submission_id: int, as_json: bool) -> None:
    """Everything recorded about SUBMISSION_ID: each evaluation's status, error detail, timings, provenance.

    Organizer output: it includes the hidden run's raw error text, which participants never see.
    """
    with arena_errors(), cli_session(get_settings()) as session:
        review = submission_review(session, submission_id)
    if as_json:
        echo_json(review.to_json())
    else:
        click.echo(_review_text(review))


def _review_text(review: SubmissionReview) -> str:
    """The review as indented plain text."""
    lines = [
        f"submission {review.id}  [{review.status}]",
        f"  competition: {review.competition}",
        f"  owner:       {review.owner}",
        f"  label:       {review.label or '-'}",
        f"  file:        {review.original_filename} ({review.format}, {review.size_bytes} bytes)",
        f"  sha256:      {review.sha256}",
        f"  submitted:   {review.created_at.isoformat()}",
        f"  error:       {review.error_code or '-'}" + (f": {review.error_message}" if review.error_message else ""),
        f"  quota:       {'counted' if review.counts_against_quota else 'not counted'}",
    ]
    if review.disqualified_reason:
        lines.append(f"  disqualified: {review.disqualified_reason}")
    for e in review.evaluations:
        lines += [
            "",
            f"  evaluation {e.id} ({e.kind}{', counts' if e.counts else ''})  [{e.status}]",
            f"    dataset:   #{e.dataset_version_id} {e.dataset_name} {e.dataset_sha256[:16]}",
            f"    scorer:    {e.scorer_version}",
            f"    attempt:   {e.attempt} ({e.platform_faults} platform fault(s))",
            f"    times:     enqueued {_when(e.enqueued_at)}, started {_when(e.started_at)}, finished "
            + _when(e.finished_at),
            f"    error:     {e.error_code or '-'}" + (f": {e.error_message}" if e.error_message else ""),
        ]
        if e.error_detail:
            lines.append("    detail:")
            lines += [f"      {line}" for line in e.error_detail.splitlines()]
        if e.scores:
            lines.append("    scores:    " + ", ".join(f"{k}={v!r}" for k, v in e.scores.items()))
        lines.append(f"    timings:   {json.dumps(e.timings, sort_keys=True)}")
        lines.append("    provenance:")
        provenance = json.dumps(e.provenance, indent=2, sort_keys=True, default=str)
        lines += [f"      {line}" for line in provenance.splitlines()]
    return "\n".join(lines)


def _when(value: datetime | None) -> str:
    return value.isoformat() if value is not None else "-"


@submission_group.command("disqualify")
@click.argument("slug")
@click.argument("submission_id", type=int)
@click.option("--reason", required=True, help="Why (shown to the participant on their submission page and in the API).")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def disqualify_cmd(slug: str, submission_id: int, reason: str, yes: bool, as_json: bool) -> None:
    """Take SUBMISSION_ID of competition SLUG off the leaderboard (its scores are kept)."""
    with arena_errors(), cli_session(get_settings()) as session:
        competition = get_competition(session, slug)
        summary = describe(session, competition_submission(session, competition, submission_id))
        _confirm(f"disqualify {summary.text()}?", yes)
        sub = disqualify_submission(session, competition, submission_id, reason, actor=cli_actor())
        if as_json:
            echo_json({**summary.to_dict(), "status": sub.status.value, "reason": sub.disqualified_reason})
        else:
            click.echo(f"disqualified {summary.text()}; reason (shown to {summary.participant}): "
                       f"{sub.disqualified_reason}")


@submission_group.command("reinstate")
@click.argument("slug")
@click.argument("submission_id", type=int)
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def reinstate_cmd(slug: str, submission_id: int, yes: bool, as_json: bool) -> None:
    """Undo the disqualification of SUBMISSION_ID of competition SLUG."""
    with arena_errors(), cli_session(get_settings()) as session:
        competition = get_competition(session, slug)
        summary = describe(session, competition_submission(session, competition, submission_id))
        _confirm(f"reinstate {summary.text()} (disqualified: {summary.disqualified_reason or '-'})?", yes)
        sub = reinstate_submission(session, competition, submission_id, actor=cli_actor())
        after = describe(session, sub)
        if as_json:
            echo_json({**after.to_dict(), "status": sub.status.value})
        else:
            click.echo(f"reinstated {after.text()}")


def _confirm(question: str, yes: bool) -> None:
    """Ask on stderr (stdout stays clean for --json) unless ``--yes``; abort on no."""
    if yes:
        return
    if not click.confirm(question, err=True):
        raise click.ClickException("Nothing changed.")


def register(cli: click.Group) -> None:
    """Attach this module's commands to the top-level group."""
    cli.add_command(submission_group)
