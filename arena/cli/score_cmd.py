"""`stylearena score`: the local scoring kit, computing exactly what the platform computes."""
from __future__ import annotations

from pathlib import Path

import click

from arena.cli.common import echo_json, get_settings

_DIR = click.Path(exists=True, file_okay=False, path_type=Path)


def _suite(weights_dir: Path | None, device: str | None):
    # Imported here so that `stylearena --help` does not pay for importing torch.
    from evaluator.metrics.shared import shared_suite

    return shared_suite(weights_dir, device)


@click.command("score")
@click.option("--outputs", required=True, type=_DIR, help="Folder with one <pair_id>.png per pair.")
@click.option("--content", required=True, type=_DIR, help="Folder of content images.")
@click.option("--style", required=True, type=_DIR, help="Folder of style images.")
@click.option(
    "--pairs", required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="CSV with header pair_id,content,style.",
)
@click.option(
    "--weights-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
    help="Backbone files under their manifest names (default: the installed weights folder if "
    "there is one, else seeded, uncalibrated backbones).",
)
@click.option("--cache-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Reuse reference statistics across runs.")
@click.option("--device", default=None, help="cpu or cuda (default: cuda when available).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def score_cmd(
    outputs: Path, content: Path, style: Path, pairs: Path, weights_dir: Path | None,
    cache_dir: Path | None, device: str | None, as_json: bool,
) -> None:  # fmt: skip
    """Score a folder of outputs on a set of content/style pairs."""
    from evaluator.metrics.catalog import METRICS
    from evaluator.metrics.errors import MetricsError
    from evaluator.metrics.io import read_pairs_csv
    from sandbox.errors import InvalidOutput

    if weights_dir is None:
        # Same weights as the platform when this machine has them installed; else seeded.
        installed = get_settings().resolved_weights_dir
        weights_dir = installed if installed.is_dir() else None
    try:
        pair_list = read_pairs_csv(pairs)
        result = _suite(weights_dir, device).score(pair_list, outputs, content, style, cache_dir=cache_dir)
    except (MetricsError, InvalidOutput) as exc:  # bad inputs, or outputs that break the contract
        raise click.ClickException(f"[{exc.code}] {exc.message}") from exc
    if as_json:
        echo_json(result.to_json())
        return
    for name, value in result.metrics.items():
        click.echo(f"{METRICS[name].label:<13} {value:.6g}" + (_kid_note(result) if name == "kid" else ""))
    click.echo(f"pairs: {result.n}, distinct styles: {result.n_styles}, FID/KID references: "
               f"{result.n_references} ({result.reference_protocol}), device: {result.device}")
    if not result.calibrated:
        click.echo("UNCALIBRATED: seeded or unverified backbones; not comparable with official scores")


def _kid_note(result) -> str:
    # The spread over subsets is not a confidence interval, so it is never printed as "±".
    from evaluator.metrics.kid import RELIABLE_SUBSET_SIZE

    kid = result.kid
    if not kid.reliable:
        return (f"  (UNRELIABLE: {result.n} outputs vs {result.n_references} reference images; "
                f"KID needs {RELIABLE_SUBSET_SIZE} in each set)")
    return f"  (spread over {kid.subsets} subsets of {kid.subset_size}: {kid.std:.3g})"


def register(cli: click.Group) -> None:
    """Attach this module's commands to the top-level group."""
    cli.add_command(score_cmd)
