"""`stylearena weights status|install|fetch`: the pinned metric-backbone files.

Files live in ``settings.resolved_weights_dir``; nothing that fails its sha256 is installed.
"""
from __future__ import annotations

from pathlib import Path

import click

from arena.cli.common import echo_json, get_settings
from evaluator.weights import (
    LPIPS_LINEAR_KEY,
    FetchFailed,
    WeightsMissing,
    WeightStatus,
    calibration_status,
    fetch_weights,
    install_weights,
)


def _parse_pins(values: tuple[str, ...]) -> dict[str, str]:
    pins = {}
    for value in values:
        name, sep, sha256 = value.partition("=")
        if not sep or len(sha256.strip()) != 64:
            raise click.BadParameter(f"{value!r}: expected FILE=SHA256 (64 hex digits)", param_hint="--pin")
        pins[name.strip()] = sha256.strip().lower()
    return pins


_PIN_OPTION = click.option(
    "--pin", "pins", multiple=True, metavar="FILE=SHA256",
    help="Pin the sha256 of a file that has no published checksum (art_inception.pth): the hash of "
    "the copy you trust. Recorded beside the files; repeatable.",
)


def _status_rows(statuses: list[WeightStatus], names: list[str]) -> list[dict[str, object]]:
    return [
        {
            "name": name,
            "backbone": s.entry.backbone.value,
            "file": s.entry.filename,
            "state": s.state.value,
            "sha256": s.sha256,
            "expected_sha256": s.expected_sha256,
            "pinned_by": "manifest" if s.entry.sha256 else ("organizer" if s.pinned_sha256 else None),
            "size": s.size,
            "expected_size": s.entry.size,
            "url": s.entry.url,
            "path": str(s.path),
        }
        for s, name in zip(statuses, names)
    ]


@click.group("weights")
def weights_group() -> None:
    """Install and verify the metric backbone weights (Inception, VGG19, AlexNet, art Inception)."""


@weights_group.command("status")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def status_cmd(as_json: bool) -> None:
    """Show which weight files are installed, whether they verify, and the scorer they make."""
    from evaluator.scorer import installed_identity  # noqa: PLC0415 - loads the backbones (torch)

    folder = get_settings().resolved_weights_dir
    calibration = calibration_status(folder)
    calibrated = calibration.calibrated
    statuses = [*calibration.backbones, calibration.lpips_linear]
    names = [s.entry.backbone.value for s in calibration.backbones] + [LPIPS_LINEAR_KEY]
    from evaluator.metrics.errors import BackboneWeightsError  # noqa: PLC0415

    try:
        scorer = installed_identity(folder)
        scorer_id, scorer_name = scorer.id, scorer.name
    except BackboneWeightsError as exc:
        scorer_id, scorer_name = None, f"none: the installed files do not load ({exc.message})"
    if as_json:
        echo_json({"weights_dir": str(folder), "calibrated": calibrated, "scorer": scorer_id,
                   "scorer_name": scorer_name, "files": _status_rows(statuses, names)})
        return
    click.echo(f"weights folder: {folder}")
    click.echo(f"scorer: {scorer_id or '-'} ({scorer_name})")
    for s, name in zip(statuses, names):
        where = s.entry.filename if name != LPIPS_LINEAR_KEY else f"{s.path} (inside the lpips package)"
        click.echo(f"  {name:<12} {s.state.value:<18} {where}")
    if calibrated:
        click.echo("all backbones and the LPIPS linear layers verified: scores are calibrated")
        return
    if not all(s.verified for s in calibration.backbones):
        click.echo(
            "UNCALIBRATED: missing backbones run on seeded random weights and unverified files are "
            "used as given; install the pinned files with `stylearena weights install --from DIR` "
            "or `stylearena weights fetch`"
        )
    if not calibration.lpips_linear.verified:
        click.echo(
            f"UNCALIBRATED: the LPIPS linear layers ({calibration.lpips_linear.path}) are "
            f"{calibration.lpips_linear.state.value}; install the lpips package that ships the pinned file "
            f"(sha256 {(calibration.lpips_linear.entry.sha256 or '')[:12]}…)"
        )


@weights_group.command("install")
@click.option(
    "--from", "source", required=True, type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Folder holding the files under their manifest names.",
)
@_PIN_OPTION
def install_cmd(source: Path, pins: tuple[str, ...]) -> None:
    """Copy weight files from a folder into the weights folder, verifying each sha256."""
    folder = get_settings().resolved_weights_dir
    installed, problems = install_weights(source, folder, pins=_parse_pins(pins))
    for s in installed:
        click.echo(f"installed {s.entry.filename} (sha256 verified) into {folder}")
    # A file absent from the source is skipped (files may be installed one at a time); a file
    # present with the wrong checksum is refused and fails the command.
    refused = [p for p in problems if not isinstance(p, WeightsMissing)]
    for problem in problems:
        label = "skipped" if isinstance(problem, WeightsMissing) else "refused"
        click.echo(f"{label} [{problem.code}]: {problem.message}", err=True)
    if refused or not installed:
        raise click.ClickException(
            f"{len(refused)} file(s) refused, {len(installed)} installed; see the messages above"
        )


@weights_group.command("fetch")
@click.option("--timeout", default=30.0, show_default=True, help="Seconds per connection attempt.")
@_PIN_OPTION
def fetch_cmd(timeout: float, pins: tuple[str, ...]) -> None:
    """Download the weight files from their official URLs, verifying each sha256."""
    folder = get_settings().resolved_weights_dir
    try:
        results = fetch_weights(folder, timeout_s=timeout, pins=_parse_pins(pins))
    except FetchFailed as exc:
        raise click.ClickException(exc.message) from exc
    for s in results:
        click.echo(f"{s.entry.filename}: {s.state.value}")


def register(cli: click.Group) -> None:
    """Attach this module's commands to the top-level group."""
    cli.add_command(weights_group)
