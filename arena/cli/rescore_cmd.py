"""`stylearena rescore`: evaluate a competition on another target (`rescore SLUG`), and watch it
(`rescore status SLUG [--watch]`).

`rescore SLUG ...` stays the short form of `rescore run SLUG ...`, so scripts written before the
status command keep working.
"""
from __future__ import annotations

import sys
import time

import click

from arena.cli.common import cli_session, echo_json, get_settings
from arena.cli.errors import arena_errors
from arena.cli.worker_cmd import rescore_cmd as run_cmd


class _RescoreGroup(click.Group):
    """A group whose first argument, when it is not a subcommand, is the SLUG of `run`."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and not args[0].startswith("-"):
            args = ["run", *args]
        return super().parse_args(ctx, args)


@click.group("rescore", cls=_RescoreGroup)
def rescore_group() -> None:
    """Rescore a competition (`rescore SLUG`, same as `rescore run SLUG`) or watch one (`rescore status SLUG`)."""


rescore_group.add_command(run_cmd, "run")


def _table(slug: str, rows) -> str:
    lines = [f"rescore status of '{slug}' ({rows[0].eligible if rows else 0} eligible submissions)"]
    if not rows:
        return lines[0] + "\n  no hidden dataset and no evaluations yet"
    lines.append(f"  {'dataset':<18} {'scorer':<22} {'queued':>6} {'running':>7} {'scored':>6} {'failed':>6} "
                 f"{'missing':>7}")
    for r in rows:
        mark = "  (board)" if r.current else ""
        lines.append(f"  #{r.dataset_version_id:<4}{r.dataset_sha256[:12]:<13} {r.scorer_version[:22]:<22} "
                     f"{r.queued:>6} {r.running:>7} {r.scored:>6} {r.failed:>6} {r.missing:>7}{mark}")
    return "\n".join(lines)


def _snapshot(settings, slug: str):
    from arena.services.competitions import get_competition  # noqa: PLC0415
    from arena.services.rescore import target_progress  # noqa: PLC0415

    with arena_errors(), cli_session(settings) as session:
        return target_progress(session, get_competition(session, slug))


@rescore_group.command("status")
@click.argument("slug")
@click.option("--watch", is_flag=True, help="Keep watching until nothing is queued or running, with a progress bar.")
@click.option("--interval", type=click.FloatRange(min=0.1), default=2.0, show_default=True,
              help="Seconds between checks with --watch.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON (one document; with --watch, the final one).")
def status_cmd(slug: str, watch: bool, interval: float, as_json: bool) -> None:
    """Queued, running, scored and failed evaluations of SLUG's eligible submissions, per target."""
    settings = get_settings()
    rows = _snapshot(settings, slug)
    if watch:
        rows = _watch(settings, slug, rows, interval, quiet=as_json)
    if as_json:
        echo_json({"competition": slug, "targets": [r.to_dict() for r in rows]})
    else:
        click.echo(_table(slug, rows))


def _busy(rows) -> int:
    return sum(r.queued + r.running for r in rows)


def _watch(settings, slug: str, rows, interval: float, quiet: bool):
    """Poll until no evaluation of SLUG is queued or running; the bar counts finished evaluations."""
    started = [r.scored + r.failed for r in rows]
    total = sum(r.queued + r.running for r in rows)
    # A bar only on a terminal: a log file gets one line per change instead of bar redraws.
    on_terminal = sys.stderr.isatty() and not quiet
    bar = click.progressbar(length=max(total, 1), label="finished", file=sys.stderr) if on_terminal else None
    last = None
    try:
        if bar is not None:
            bar.__enter__()
        while True:
            done = sum(r.scored + r.failed for r in rows) - sum(started)
            if bar is not None:
                bar.update(max(0, done - bar.pos))
            elif not quiet and (done, _busy(rows)) != last:
                click.echo(f"{slug}: {done} of {total} finished, {_busy(rows)} queued or running", err=True)
                last = (done, _busy(rows))
            if _busy(rows) == 0:
                return rows
            time.sleep(interval)
            rows = _snapshot(settings, slug)
    finally:
        if bar is not None:
            bar.__exit__(None, None, None)


def register(cli: click.Group) -> None:
    """Attach this module's commands to the top-level group."""
    cli.add_command(rescore_group)
