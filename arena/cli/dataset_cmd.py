"""`stylearena dataset`: publish, list and show dataset versions."""
from __future__ import annotations

import sys
from pathlib import Path

import click
from sqlalchemy import or_, select

from arena.cli.common import cli_session, echo_json, get_settings
from arena.cli.errors import arena_errors
from arena.core.datasets.staging import stored_manifest
from arena.services.publishing import find_version, list_versions, publish
from arena.services.publishing import metrics_reference_stats
from arena.core.models import Competition, DatasetVersion


def version_summary(v: DatasetVersion) -> dict[str, object]:
    """A JSON-ready description of a dataset version."""
    return {"id": v.id, "sha256": v.manifest_sha256, "name": v.name, "split": v.split.value,
            "n_content": v.n_content, "n_style": v.n_style, "n_pairs": v.n_pairs,
            "reference_stats": v.reference_stats_path, "created_at": v.created_at.isoformat()}


class _ProgressBar:
    """Adapts publish progress callbacks to one click progress bar per stage."""

    def __init__(self) -> None:
        self.bar = None
        self.stage = ""

    def __call__(self, stage: str, done: int, total: int) -> None:
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
@click.option("--competition", "competition_slug", help="Make it this competition's current version of its split.")
@click.option("--split", type=click.Choice(["public", "hidden"]), help="The split (must agree with the manifest's).")
@click.option("--no-reference-stats", is_flag=True, help="Skip precomputing the reference statistics.")
@click.option("--json", "as_json", is_flag=True, help="Print the version as JSON.")
def publish_cmd(directory: Path, competition_slug: str | None, split: str | None, no_reference_stats: bool,
                as_json: bool) -> None:
    """Validate DIRECTORY (manifest.json, content/, style/) and publish it; idempotent."""
    settings = get_settings()
    bar = _ProgressBar()
    with arena_errors(), cli_session(settings) as session:
        try:
            result = publish(session, settings, directory, split=split, competition_slug=competition_slug,
                             progress=bar, reference_stats=None if no_reference_stats else metrics_reference_stats)
        finally:
            bar.close()
        v = result.version
        if as_json:
            echo_json({**version_summary(v), "created": result.created})
            return
        verb = "published" if result.created else "already published (no change)"
        click.echo(f"{verb}: {v.name} [{v.split.value}] {v.manifest_sha256} "
                   f"({v.n_content} content, {v.n_style} style, {v.n_pairs} pairs)")
        if competition_slug:
            click.echo(f"now the current {v.split.value} version of '{competition_slug}'")


@dataset_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def list_cmd(as_json: bool) -> None:
    """List the published dataset versions, newest first."""
    settings = get_settings()
    with cli_session(settings) as session:
        versions = list_versions(session)
        if as_json:
            echo_json([version_summary(v) for v in versions])
            return
        if not versions:
            click.echo("no dataset versions yet (stylearena dataset publish DIR)")
        for v in versions:
            click.echo(f"{v.id:>4}  {v.manifest_sha256[:12]}  {v.split.value:<6}  {v.n_pairs:>4} pairs  {v.name}")


@dataset_group.command("show")
@click.argument("version")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def show_cmd(version: str, as_json: bool) -> None:
    """Show VERSION (its id or a sha256 prefix): counts, licence, competitions using it."""
    settings = get_settings()
    with arena_errors(), cli_session(settings) as session:
        v = find_version(session, version)
        used_by = list(session.scalars(select(Competition.slug).where(
            or_(Competition.public_dataset_id == v.id, Competition.hidden_dataset_id == v.id))))
        manifest = stored_manifest(settings, v)
        data = {**version_summary(v), "licence": v.licence, "used_by": used_by,
                "content": [e["file"] for e in manifest["content"]],
                "style": [e["file"] for e in manifest["style"]]}
        if as_json:
            echo_json(data)
            return
        for key in ("id", "sha256", "name", "split", "n_content", "n_style", "n_pairs", "reference_stats", "created_at"):
            click.echo(f"{key:>16}: {data[key]}")
        click.echo(f"{'used by':>16}: {', '.join(used_by) or '-'}")
        click.echo(f"{'licence':>16}: {v.licence}")


def register(cli: click.Group) -> None:
    """Attach this module's commands to the top-level group."""
    cli.add_command(dataset_group)
