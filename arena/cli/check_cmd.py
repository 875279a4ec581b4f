"""`stylearena check`: the platform's smoke run and public-split score, on the participant's machine.

The same functions as the platform, in the same order: ``validate_upload`` (the upload
checks), the harness (run in a subprocess by ``sandbox.local``: no Docker, no root; the
participant's own code on their own machine), ``validate_outputs``, then
``evaluator.public_split`` with the same scorer the worker uses when the same weights are
installed (seeded, uncalibrated backbones otherwise, as the platform's seeded scorer).
"""
from __future__ import annotations

import shutil
import tempfile
import zipfile
from pathlib import Path

import click

from arena.cli.common import echo_json, get_settings

_DEV_SET_PARTS = ("content", "style", "pairs.csv")


def register(cli: click.Group) -> None:
    """Attach this module's commands to the top-level group."""
    cli.add_command(check_cmd)


def _say(message: str) -> None:
    click.echo(f"[check] {message}", err=True)


def unpack_dev_set(source: Path, dest: Path) -> tuple[Path, Path]:
    """(inputs, dev-set root): the generator's inputs staged apart from the references, as on a worker.

    ``source`` is the downloaded dev-set zip or an unpacked folder of it.
    """
    from sandbox.errors import UploadRejected
    from sandbox.upload import check_entry_name

    if source.is_file():
        if not zipfile.is_zipfile(source):
            raise click.ClickException(f"{source} is not a zip archive; pass the dev-set download (…-dev-set.zip) "
                                       "or the folder it unpacks to.")
        with zipfile.ZipFile(source) as zf:
            try:
                for name in zf.namelist():
                    check_entry_name(name)  # the download is the platform's, but the file is local
            except UploadRejected as exc:
                raise click.ClickException(f"{source}: {exc.message}") from exc
            zf.extractall(dest / "download")
        candidates = sorted((dest / "download").rglob("pairs.csv"), key=lambda p: len(p.parts))
    else:
        candidates = sorted(source.rglob("pairs.csv"), key=lambda p: len(p.parts))
    if not candidates:
        raise click.ClickException(f"{source} has no pairs.csv: pass the competition's dev-set download.")
    root = candidates[0].parent
    inputs = dest / "inputs"
    inputs.mkdir()
    for part in _DEV_SET_PARTS:
        if not (root / part).exists():
            raise click.ClickException(f"{root} has no {part}: pass the competition's dev-set download.")
        copy = shutil.copytree if (root / part).is_dir() else shutil.copyfile
        copy(root / part, inputs / part)
    return inputs, root


@click.command("check")
@click.argument("submission", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dev-set", required=True, type=click.Path(exists=True, path_type=Path),
              help="The competition's dev-set download (zip) or the folder it unpacks to.")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Keep the outputs here (must be empty or absent).")
@click.option("--timeout", type=int, default=None, help="Wall-clock limit of the run (default: the smoke run's).")
@click.option("--weights-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Scorer backbone files (default: the installed weights if any, else seeded backbones).")
@click.option("--device", default="cpu", show_default=True, help="Where the generator runs: cpu or cuda.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object (full-precision metrics).")
def check_cmd(submission: Path, dev_set: Path, out_dir: Path | None, timeout: int | None, weights_dir: Path | None,
              device: str, as_json: bool) -> None:
    """Check SUBMISSION as the platform does and print its public-split score (no Docker needed)."""
    from arena.services.upload_rules import UploadFieldsRejected, check_upload_fields
    from sandbox.errors import SandboxError
    from sandbox.local import run_local
    from sandbox.upload import validate_upload
    from sandbox.validation import validate_outputs

    settings = get_settings()
    limits = settings.sandbox.run_limits(smoke=True)
    timeout_s = timeout if timeout is not None else limits.timeout_s
    if out_dir is not None and out_dir.exists() and any(out_dir.iterdir()):
        raise click.BadParameter(f"{out_dir} is not empty.", param_hint="--out")
    with tempfile.TemporaryDirectory(prefix="stylearena-check-") as scratch:
        scratch_dir = Path(scratch)
        try:
            # The service's two checks, in its order: the file name, then the file.
            check_upload_fields("", "", submission.name)
            info = validate_upload(submission, settings.max_upload_mb * 1024 * 1024)
        except (SandboxError, UploadFieldsRejected) as exc:
            raise click.ClickException(f"upload refused [{exc.code}] {exc.message}") from exc
        _say(f"1/4 upload ok: {info.format.value}, {info.size} bytes, sha256 {info.sha256[:12]}")
        inputs, root = unpack_dev_set(dev_set, scratch_dir)
        outputs = out_dir or scratch_dir / "outputs"
        _say(f"2/4 running the harness on the public split (timeout {timeout_s} s; your code, not sandboxed)")
        try:
            run = run_local(submission, info.format, inputs, outputs, timeout_s, threads=max(1, int(limits.cpus)),
                            device=device, on_line=lambda line: click.echo(f"  | {line}", err=True))
            validate_outputs(outputs, inputs)
        except SandboxError as exc:
            raise click.ClickException(f"[{exc.code}] {exc.message}") from exc
        _say(f"3/4 {run.report.get('pairs_written', '?')} outputs valid ({run.duration_s:.1f} s)")
        _say("4/4 scoring the outputs as the platform's public-split score")
        scores = _public_scores(inputs, outputs, root, weights_dir)
    if as_json:
        echo_json({"format": info.format.value, "sha256": info.sha256, "report": run.report, "public_scores": scores})
        return
    print_scores(scores)
    if out_dir is not None:
        click.echo(f"outputs in {out_dir}")


def _public_scores(inputs: Path, outputs: Path, root: Path, weights_dir: Path | None) -> dict:
    from evaluator.metrics.shared import shared_suite
    from evaluator.public_split import references_of_dev_set, score_or_reason

    if weights_dir is None:
        installed = get_settings().resolved_weights_dir
        weights_dir = installed if installed.is_dir() else None
    return score_or_reason(shared_suite(weights_dir, None), inputs, outputs, references_of_dev_set(root))


def print_scores(scores: dict) -> None:
    """The metrics as the submission page shows them (4 significant digits), then at full precision."""
    from arena.services.results import round_score
    from evaluator.metrics.catalog import METRICS

    if "unavailable" in scores:
        click.echo(f"public-split score unavailable: {scores['unavailable']}")
        return
    click.echo("public-split score (as on your submission's page):")
    labels = {name: METRICS[name].label if name in METRICS else name for name in scores["metrics"]}
    width = max(map(len, labels.values()), default=0)
    for name, value in scores["metrics"].items():
        click.echo(f"  {labels[name]:<{width}}  {round_score(value):<10g} (exact {value!r})")
    click.echo(f"pairs: {scores['n']}, FID/KID references: {scores['n_references']} ({scores['reference_protocol']})")
    if not scores["calibrated"]:
        click.echo("UNCALIBRATED: seeded or unverified backbones; compare with a platform running the same scorer")
