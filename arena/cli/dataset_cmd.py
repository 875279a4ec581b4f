"""`stylearena dataset`: publish, list and show dataset versions."""
from __future__ import annotations

import sys
from pathlib import Path

import click

from arena.core.datasets import board_split
from arena.cli.common import cli_session, echo_json, get_settings
from arena.cli.errors import arena_errors
from arena.core.datasets.staging import stored_manifest
from arena.services.publishing import Placement, find_version, list_versions, publish, retire_version, version_usage
from arena.services.publishing import metrics_reference_stats
from arena.core.models import DatasetVersion


def version_summary(v: DatasetVersion) -> dict[str, object]:
    """A JSON-ready description of a dataset version."""
    return {"id": v.id, "sha256": v.manifest_sha256, "name": v.name, "split": v.split.value,
            "n_content": v.n_content, "n_style": v.n_style, "n_pairs": v.n_pairs,
            "reference_stats": v.reference_stats_path, "created_at": v.created_at.isoformat(),
            "retired_at": v.retired_at.isoformat() if v.retired_at else None,
            "board_split": ({"public_fraction": v.board_public_fraction, "seed": v.board_split_seed,
                             "sha256": v.board_split_sha256} if v.board_public_fraction is not None else None)}


class _ProgressBar:
    """Adapts publish progress callbacks to one click progress bar per stage."""

    def __init__(self) -> None:
        self.bar = None
        self.stage = ""

    def __call__(self, stage: str, done: int, total: int) -> None:
        if not sys.stderr.isatty():
            return  # off a terminal a bar prints only its bare label: noise in logs
        if stage != self.stage:
            self.close()
            self.stage = stage
            self.bar = click.progressbar(length=total, label=f"{stage:>15}", file=sys.stderr)
            self.bar.__enter__()
        self.bar.update(done - self.bar.pos)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)
            self.bar = None


@click.group("dataset")
def dataset_group() -> None:
    """Publish and inspect dataset versions (immutable, named by their manifest's sha256)."""


@dataset_group.command("publish")
@click.argument("directory", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--competition", "competition_slug",
              help="Stage it as this competition's next version of its split (its board keeps the current one "
                   "until you rescore and switch; a competition without one gets it at once).")
@click.option("--split", type=click.Choice(["public", "hidden"]), help="The split (must agree with the manifest's).")
@click.option("--allow-unlisted", is_flag=True, help="Publish although the folders hold files the manifest does not "
                                                     "list (they are listed and left out).")
@click.option("--no-reference-stats", is_flag=True, help="Skip precomputing the reference statistics.")
@click.option("--public-board-fraction", type=float, default=board_split.DEFAULT_PUBLIC_FRACTION, show_default=True,
              help="A hidden version's share of pairs scored on the public board while the competition runs; "
                   "the rest make the private board, shown after `competition finalize`.")
@click.option("--no-board-split", is_flag=True, help="Score a hidden version's board on every pair (one board, no "
                                                     "private part).")
@click.option("--json", "as_json", is_flag=True, help="Print the version as JSON.")
def publish_cmd(directory: Path, competition_slug: str | None, split: str | None, allow_unlisted: bool,
                no_reference_stats: bool, public_board_fraction: float, no_board_split: bool, as_json: bool) -> None:
    """Validate DIRECTORY (manifest.json, content/, style/) and publish it; idempotent."""
    settings = get_settings()
    bar = _ProgressBar()
    with arena_errors(), cli_session(settings) as session:
        try:
            result = publish(session, settings, directory, split=split, competition_slug=competition_slug,
                             progress=bar, reference_stats=None if no_reference_stats else metrics_reference_stats,
                             allow_unlisted=allow_unlisted,
                             board_fraction=None if no_board_split else public_board_fraction)
        finally:
            bar.close()
        v = result.version
        if as_json:
            echo_json({**version_summary(v), "created": result.created, "conversions": list(result.conversions),
                       "unlisted": list(result.unlisted),
                       "placement": result.placement.value if result.placement else None,
                       "next_steps": list(result.next_steps), "board_split_note": result.board_split_note})
            return
        verb = "published" if result.created else "already published (no change)"
        click.echo(f"{verb}: {v.name} [{v.split.value}] {v.manifest_sha256} "
                   f"({v.n_content} content, {v.n_style} style, {v.n_pairs} pairs)")
        for line in result.conversions:
            click.echo(f"  {line}")
        if result.board_split_note:
            click.echo(f"  board: {result.board_split_note}")
        if result.unlisted:
            click.echo(f"  left out {len(result.unlisted)} unlisted file(s): {', '.join(result.unlisted)}")
        if result.placement == Placement.ATTACHED:
            click.echo(f"now the current {v.split.value} version of '{competition_slug}' (it had none)")
        elif result.placement == Placement.CURRENT:
            click.echo(f"already the current {v.split.value} version of '{competition_slug}'")
        elif result.placement == Placement.STAGED:
            click.echo(f"staged as the next {v.split.value} version of '{competition_slug}'; its board is unchanged.")
            click.echo("To switch, run:" if len(result.next_steps) == 1 else
                       "To switch, rescore and then, once the rescore is scored, switch:")
            for step in result.next_steps:
                click.echo(f"  {step}")


@dataset_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def list_cmd(as_json: bool) -> None:
    """List the published dataset versions, newest first, with the competitions using each."""
    settings = get_settings()
    with cli_session(settings) as session:
        versions = list_versions(session)
        usage = version_usage(session)
        if as_json:
            echo_json([{**version_summary(v), "used_by": usage.get(v.id, [])} for v in versions])
            return
        if not versions:
            click.echo("no dataset versions yet (stylearena dataset publish DIR)")
        for v in versions:
            retired = "  [retired]" if v.retired_at else ""
            click.echo(f"{v.id:>4}  {v.manifest_sha256[:12]}  {v.split.value:<6}  {v.n_pairs:>4} pairs  {v.name}"
                       f"{retired}  used by: {', '.join(usage.get(v.id, [])) or '-'}")


@dataset_group.command("retire")
@click.argument("version")
def retire_cmd(version: str) -> None:
    """Retire VERSION (id or sha256 prefix): it can no longer be attached; boards using it keep working."""
    settings = get_settings()
    with arena_errors(), cli_session(settings) as session:
        v = find_version(session, version)
        changed = retire_version(session, v)
        users = version_usage(session).get(v.id, [])
        click.echo(f"{'retired' if changed else 'already retired (no change)'}: {v.name} {v.manifest_sha256[:12]} "
                   f"(id {v.id})")
        if users:
            click.echo(f"still shown by: {', '.join(users)} (until they switch to another version)")


@dataset_group.command("show")
@click.argument("version")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def show_cmd(version: str, as_json: bool) -> None:
    """Show VERSION (its id or a sha256 prefix): counts, licence, competitions using it."""
    settings = get_settings()
    with arena_errors(), cli_session(settings) as session:
        v = find_version(session, version)
        used_by = version_usage(session).get(v.id, [])
        manifest = stored_manifest(settings, v)
        data = {**version_summary(v), "licence": v.licence, "used_by": used_by,
                "content": [e["file"] for e in manifest["content"]],
                "style": [e["file"] for e in manifest["style"]]}
        if as_json:
            echo_json(data)
            return
        for key in ("id", "sha256", "name", "split", "n_content", "n_style", "n_pairs", "reference_stats", "created_at",
                    "retired_at"):
            click.echo(f"{key:>16}: {data[key]}")
        click.echo(f"{'used by':>16}: {', '.join(used_by) or '-'}")
        click.echo(f"{'licence':>16}: {v.licence}")


def register(cli: click.Group) -> None:
    """Attach this module's commands to the top-level group."""
    cli.add_command(dataset_group)
