"""`stylearena competition finalize SLUG [--dry-run]`: freeze a competition and publish its private board."""
from __future__ import annotations

import click

from arena.cli.common import cli_session, echo_json, get_settings
from arena.cli.errors import arena_errors
from arena.services.competitions import get_competition
from arena.services.private_board import PrivateStanding, finalize


@click.command("finalize")
@click.argument("slug")
@click.option("--dry-run", is_flag=True, help="Print the private board it would publish; change nothing.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def finalize_cmd(slug: str, dry_run: bool, as_json: bool) -> None:
    """After SLUG's end date: freeze submissions, take each participant's final submissions and
    publish the private board with each entry's public rank and shake-up."""
    with arena_errors(), cli_session(get_settings()) as session:
        competition = get_competition(session, slug)
        standings = finalize(session, competition, dry_run=dry_run)
        if as_json:
            echo_json({"competition": slug, "dry_run": dry_run, "entries": [_json(s) for s in standings]})
            return
        verb = "would publish" if dry_run else "published"
        click.echo(f"{slug}: {verb} the private board ({len(standings)} entries, by {standings[0].metric if standings else '-'})")
        for s in standings:
            rank = f"={s.private_rank}" if s.tied else f"{s.private_rank}"
            public = f"public {s.public_rank}" if s.public_rank is not None else "not on the public board"
            how = "chosen" if s.chosen else f"best {s.finals} taken"
            click.echo(f"  {rank:>5}  {s.username:<24} #{s.submission_id:<6} {s.value:.4f}  ({public}, "
                       f"{_shake(s.shake_up)}; finals: {how})")
        if dry_run:
            click.echo(f"nothing was changed; run without --dry-run to finalize '{slug}'.")
        else:
            click.echo(f"submissions to '{slug}' are now closed; the private board is at /competitions/{slug}/private")


def _shake(delta: int | None) -> str:
    if delta is None:
        return "new"
    return "no change" if delta == 0 else (f"up {delta}" if delta > 0 else f"down {-delta}")


def _json(s: PrivateStanding) -> dict:
    return {"username": s.username, "submission_id": s.submission_id, "label": s.label, "metric": s.metric,
            "value": s.value, "ci_low": s.ci_low, "ci_high": s.ci_high, "private_rank": s.private_rank, "tied": s.tied,
            "public_rank": s.public_rank, "public_value": s.public_value, "shake_up": s.shake_up,
            "finals": s.finals, "chosen": s.chosen}
