"""StyleArena sandbox harness: runs one generator over an image set, inside the container.

Baked into the sandbox image at /opt/stylearena/harness.py and started by supervisor.py
(which the runner execs); host code never imports this file (it loads participant code).
Standard library, torch, Pillow and NumPy only.

    python3 harness.py --submission FILE --format torchscript|export|package --inputs DIR --out DIR

Inputs: DIR/content/, DIR/style/, DIR/pairs.csv (header ``pair_id,content,style``).
Outputs: OUT/images/<pair_id>.png (RGB, the content image's size) and OUT/report.json.
Every generator call is seeded first (seeding.py: from ``--seed`` and the call's pair ids);
with ``--repeat-seed N`` every pair runs a second time, in the same batches, seeded from N,
into OUT/repeat/<pair_id>.png (the diversity metric compares the two).
The generator's contract is sandbox/contract.md; the exit codes and whose fault each is are
in exit_codes.py, beside this file. With ``--status-fd`` (the supervisor's pipe) the harness
says ``P`` before any participant code runs and ``X<code>`` when it is done, then waits to
be killed with everything the generator left running.
"""
from __future__ import annotations

import argparse
import importlib
import inspect
import json
import os
import stat
import sys
import time
import traceback
import warnings
import zipfile
from pathlib import Path, PurePosixPath

if __package__:  # never on the host's paths, but a test may read its constants
    from arena.core import imageset

    from . import exit_codes, seeding
    from .measure import efficiency, peak_rss_mb
else:  # run as a script with -I: its own folder is not on sys.path
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import exit_codes
    import seeding
    from measure import efficiency, peak_rss_mb
    import imageset  # the platform's image-set module, copied beside this file

MAX_BATCH = 64
# How far outside [0, 1] an output may stray and still be clamped: one float16 step above 1.0
# (9.8e-4) passes, and it is under half an 8-bit step (1/510), so clamping inside it never
# changes a written pixel. A generator returning 0..255 or -1..1 is far outside it.
RANGE_TOLERANCE = 1e-3
# How long a finished harness waits for the supervisor's sweep to kill it.
SWEEP_WAIT_S = 30
# Batch sizes of the file formats (a package's manifest sets its own). A torch.export program
# gets one pair per call, so only its height and width need to be dynamic (torch.export.Dim).
FORMAT_BATCH_SIZE = {"torchscript": 4, "export": 1}


class HarnessFailure(Exception):
    """A failure with an exit code and a code the runner maps to a participant message."""

    def __init__(self, exit_code: int, code: str, message: str) -> None:
        super().__init__(message)
        self.exit_code, self.code, self.message = exit_code, code, message


def say(message: str) -> None:
    """Participant-readable progress on stdout."""
    print(f"[stylearena] {message}", flush=True)


def read_pairs(inputs: Path) -> list[tuple[str, str, str]]:
    """The pair list, by the platform's own rules; images must exist (checked before any participant code)."""
    try:
        parsed = imageset.read_pairs(inputs)
    except imageset.PairsError as exc:
        raise HarnessFailure(exit_codes.BAD_INPUTS, "bad_inputs", str(exc)) from exc
    for pair in parsed:
        for folder, name in ((imageset.CONTENT_DIR, pair.content), (imageset.STYLE_DIR, pair.style)):
            if not (inputs / folder / name).is_file():
                raise HarnessFailure(exit_codes.BAD_INPUTS, "bad_inputs", f"pair {pair.pair_id}: no {folder} image {name!r}")
    return [(pair.pair_id, pair.content, pair.style) for pair in parsed]


def extract_package(archive: Path, dest: Path) -> None:
    """Unpack a package (already validated on the host) with the same path checks again."""
    dest.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(archive) as zf:
        for info in zf.infolist():
            parts = PurePosixPath(info.filename).parts
            if info.filename.startswith("/") or ".." in parts or stat.S_ISLNK(info.external_attr >> 16):
                raise HarnessFailure(exit_codes.LOAD_FAILED, "load_failed", f"unsafe archive entry {info.filename!r}")
        zf.extractall(dest)


def read_manifest(pkg_dir: Path) -> dict:
    import tomllib

    return tomllib.loads((pkg_dir / "stylearena.toml").read_text(encoding="utf-8"))


def load_generator(args: argparse.Namespace, device: str):
    """Return (callable, manifest, parameter count) for the submission."""
    import torch

    if args.format == "torchscript":
        # Newer torch warns that TorchScript is deprecated; that is noise in a participant's log.
        warnings.filterwarnings("ignore", category=FutureWarning, message=r".*torch\.jit")
        module = torch.jit.load(str(args.submission), map_location=device)
        module.eval()
        return module, {}, sum(p.numel() for p in module.parameters())
    if args.format == "export":
        program = torch.export.load(str(args.submission))
        # .module() is already in the mode it was exported in (train()/eval() are refused on it).
        module = program.module()
        if device != "cpu":
            module = module.to(device)
        return module, {}, sum(p.numel() for p in module.parameters())
    pkg_dir = Path(args.workdir) / "package"
    extract_package(Path(args.submission), pkg_dir)
    manifest = read_manifest(pkg_dir)
    module_name, _, attr = manifest["entry_point"].partition(":")
    sys.path.insert(0, str(pkg_dir))
    os.chdir(pkg_dir)  # packages commonly open their weights by relative path
    target = getattr(importlib.import_module(module_name), attr)
    # A class is instantiated once (the usual nn.Module); a function is called per batch.
    generator = target() if inspect.isclass(target) else target
    if isinstance(generator, torch.nn.Module):
        generator = generator.to(device).eval()
        params = sum(p.numel() for p in generator.parameters())
    else:
        params = None
    return generator, manifest, params


def load_image(path: Path, size: int | None):
    """(float tensor [3,H,W] in [0,1], optionally resized to size x size; original (W, H))."""
    import numpy as np
    import torch
    from PIL import Image

    with Image.open(path) as img:
        img = img.convert("RGB")
        original = img.size
        if size is not None:
            img = img.resize((size, size), Image.BICUBIC)
        array = np.asarray(img, dtype=np.uint8).copy()
    return torch.from_numpy(array).permute(2, 0, 1).float().div_(255.0), original


def to_png(tensor, path: Path, size_wh: tuple[int, int] | None) -> None:
    """Write one [3,H,W] output in [0,1] as an 8-bit RGB PNG (resized back if asked)."""
    import torch
    import torch.nn.functional as F
    from PIL import Image

    if size_wh is not None and (tensor.shape[2], tensor.shape[1]) != size_wh:
        tensor = F.interpolate(tensor[None], size=(size_wh[1], size_wh[0]), mode="bilinear", align_corners=False)[0]
    array = tensor.clamp(0, 1).mul(255).round().to(torch.uint8).permute(1, 2, 0).contiguous().cpu().numpy()
    Image.fromarray(array, "RGB").save(path, format="PNG")


def make_batches(pairs, inputs: Path, resolution: int | None, batch_size: int):
    """Group consecutive pairs whose input shapes match, up to batch_size each."""
    batch, key = [], None
    for pair_id, content_name, style_name in pairs:
        content, original = load_image(inputs / "content" / content_name, resolution)
        style, _ = load_image(inputs / "style" / style_name, resolution)
        item_key = (tuple(content.shape), tuple(style.shape))
        if batch and (item_key != key or len(batch) >= batch_size):
            yield batch
            batch = []
        key = item_key
        batch.append((pair_id, content, style, original))
    if batch:
        yield batch


def run_batches(generator, pairs, args, manifest, device, report, run_seed: int = seeding.RUN_SEED,
                folder: str = "images", log_key: str = "batches") -> None:
    """Generate every pair into OUT/<folder>/, seeding each call from ``run_seed`` (seeding.py).

    The repeat pass calls this again with another seed, folder and log key: the same batches,
    so only the seed differs between the two passes.
    """
    import torch

    resolution = manifest.get("resolution")
    default = args.batch_size if args.batch_size is not None else FORMAT_BATCH_SIZE.get(args.format, 4)
    batch_size = min(int(manifest.get("batch_size", default)), MAX_BATCH)
    images_dir = Path(args.out) / folder
    images_dir.mkdir(parents=True, exist_ok=True)
    done = 0
    report["batch_size"] = batch_size
    for index, batch in enumerate(make_batches(pairs, Path(args.inputs), resolution, batch_size)):
        content = torch.stack([item[1] for item in batch]).to(device)
        style = torch.stack([item[2] for item in batch]).to(device)
        seeding.seed_generators(seeding.batch_seed(run_seed, [item[0] for item in batch]))
        started = time.perf_counter()
        try:
            with torch.inference_mode():
                output = generator(content, style)
        except Exception as exc:  # the participant's code: report it, do not hide it
            traceback.print_exc(file=sys.stdout)
            message = f"{type(exc).__name__}: {exc}"[:500]
            if args.format == "export" and _is_shape_guard(exc):
                message += EXPORT_SHAPE_HINT
            raise HarnessFailure(exit_codes.GENERATOR_ERROR, "generator_error", message) from exc
        if args.measure and device.startswith("cuda"):
            torch.cuda.synchronize()  # the call's real end, not its launch
        seconds = time.perf_counter() - started
        check_output(output, content, resolution is not None)
        try:
            for (pair_id, _c, _s, original), item in zip(batch, output, strict=True):
                to_png(item.detach().float(), images_dir / f"{pair_id}.png", original if resolution else None)
        except OSError as exc:  # the output tmpfs is capped: ENOSPC is the generator's doing
            raise HarnessFailure(exit_codes.CONTRACT, "output_write_failed", f"could not write outputs: {exc}") from exc
        done += len(batch)
        report[log_key].append({"index": index, "pairs": len(batch), "seconds": round(seconds, 6)})
        what = "batch" if log_key == "batches" else "repeat batch"
        say(f"{what} {index + 1}: {len(batch)} pairs in {seconds:.2f}s ({done}/{len(pairs)} done)")


EXPORT_SHAPE_HINT = (
    " -- the .pt2 was exported for fixed input sizes; export with dynamic height and width: "
    "torch.export.export(model, (content, style), dynamic_shapes={'content': {2: Dim('ch'), 3: Dim('cw')}, "
    "'style': {2: Dim('sh'), 3: Dim('sw')}}) (each call gets one pair)"
)


def _is_shape_guard(exc: Exception) -> bool:
    """A torch.export program called with sizes it was not exported for (its input guards failed)."""
    text = str(exc)
    return "Guard failed" in text or ("Expected input" in text and "shape" in text)


def check_output(output, content, resizable: bool) -> None:
    """The output contract (sandbox/contract.md): a finite float tensor [B,3,H,W] in [0,1] (H,W of the input unless resized)."""
    import torch

    contract = exit_codes.CONTRACT
    if not isinstance(output, torch.Tensor):
        raise HarnessFailure(contract, "bad_output_type", f"the generator returned {type(output).__name__}, not a tensor")
    expected = tuple(content.shape)
    if output.dim() != 4 or output.shape[0] != expected[0] or output.shape[1] != 3:
        raise HarnessFailure(contract, "bad_output_shape", f"output shape {tuple(output.shape)}, expected {expected}")
    if not resizable and tuple(output.shape) != expected:
        raise HarnessFailure(contract, "bad_output_shape", f"output shape {tuple(output.shape)}, expected {expected}")
    if not output.is_floating_point():
        raise HarnessFailure(contract, "bad_output_type", f"output dtype {output.dtype}, expected a float tensor")
    if not bool(torch.isfinite(output).all()):
        raise HarnessFailure(contract, "non_finite", "the output contains NaN or infinite values")
    low, high = float(output.min()), float(output.max())
    if low < -RANGE_TOLERANCE or high > 1 + RANGE_TOLERANCE:
        raise HarnessFailure(contract, "out_of_range", out_of_range_message(low, high))


def out_of_range_message(low: float, high: float) -> str:
    """What was seen and the likely fix; nothing is clamped beyond RANGE_TOLERANCE."""
    seen = f"output values range from {low:.4g} to {high:.4g}, outside [0, 1] (tolerance {RANGE_TOLERANCE:g})"
    if low >= -RANGE_TOLERANCE and high <= 255 * (1 + RANGE_TOLERANCE):
        fix = "it looks like 0..255: divide the output by 255"
    elif low >= -1 - RANGE_TOLERANCE and high <= 1 + RANGE_TOLERANCE:
        fix = "it looks like -1..1: return (output + 1) / 2"
    else:
        fix = "scale the output into [0, 1] (e.g. divide by 255 for 0..255 values, or apply a sigmoid)"
    return f"{seen}; {fix}"


REPORT_RESERVE = 256 * 1024


def reserve_report(out: Path) -> None:
    """Claim space for the report first, so a generator that fills /out cannot silence it."""
    (out / "report.json").write_bytes(b" " * REPORT_RESERVE)


def write_report(out: Path, report: dict) -> None:
    data = json.dumps(report, indent=1).encode("utf-8")
    try:
        # Overwrite in place: on the capped tmpfs this reuses the reserved pages.
        with open(out / "report.json", "r+b") as fh:
            fh.write(data)
            fh.truncate(len(data))
    except OSError as exc:  # e.g. the generator filled the output tmpfs
        say(f"could not write report.json: {exc}")


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--submission", required=True, type=Path)
    parser.add_argument("--format", required=True, choices=["torchscript", "export", "package"])
    parser.add_argument("--inputs", required=True, type=Path)
    parser.add_argument("--out", required=True, type=Path)
    parser.add_argument("--workdir", default="/tmp", type=Path)
    parser.add_argument("--threads", default=1, type=int)
    parser.add_argument("--batch-size", default=None, type=int, help="default: the format's (FORMAT_BATCH_SIZE)")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--no-measure", dest="measure", action="store_false",
                        help="skip the efficiency figures (benchmarks/sandbox.py measures their cost)")
    parser.add_argument("--status-fd", default=None, type=int, help="the supervisor's pipe (see supervisor.py)")
    parser.add_argument("--seed", default=seeding.RUN_SEED, type=int, help="the run seed (seeding.py)")
    parser.add_argument("--repeat-seed", default=None, type=int,
                        help="run every pair again seeded from this, into OUT/repeat/ (the diversity metric)")
    return parser.parse_args(argv)


def tell(status_fd: int | None, message: str) -> None:
    """One line to the supervisor; a harness run by hand (no pipe) tells nobody."""
    if status_fd is not None:
        os.write(status_fd, message.encode("ascii") + b"\n")


def finish(status_fd: int | None, code: int) -> int:
    """Report ``code`` to the supervisor and wait for its sweep to kill this process (and the generator's).

    Exiting here instead would let a process the generator left behind see the harness end
    and rewrite /out before the sweep.
    """
    if status_fd is None:
        return code
    try:
        tell(status_fd, f"X{code}")
    except OSError:
        return code  # no supervisor listening: it ends the run without this code
    time.sleep(SWEEP_WAIT_S)
    return code


def prepare(args: argparse.Namespace, report: dict):
    """Everything before participant code runs (device, pairs); any failure here is the platform's."""
    try:
        args.out.mkdir(parents=True, exist_ok=True)
        reserve_report(args.out)
        import torch

        torch.set_num_threads(max(1, args.threads))
        device = ("cuda" if torch.cuda.is_available() else "cpu") if args.device == "auto" else args.device
        report.update(torch_version=torch.__version__, device=device, python=sys.version.split()[0])
        pairs = read_pairs(args.inputs)
    except HarnessFailure:
        raise
    except Exception as exc:  # not carried on: reported as the platform's fault, with its traceback
        traceback.print_exc(file=sys.stdout)
        raise HarnessFailure(exit_codes.BAD_INPUTS, "bad_inputs", f"{type(exc).__name__}: {exc}"[:500]) from exc
    return device, pairs


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    started = time.perf_counter()
    report: dict = {"status": "running", "batches": [], "format": args.format, "seed": args.seed}
    if args.repeat_seed is not None:
        report.update(repeat_seed=args.repeat_seed, repeat_batches=[])
    try:
        device, pairs = prepare(args, report)
        say(f"{len(pairs)} pairs, device {device}, torch {report['torch_version']}")
        tell(args.status_fd, "P")  # from here on participant code runs in this process
        load_started = time.perf_counter()
        try:
            generator, manifest, params = load_generator(args, device)
        except HarnessFailure:
            raise
        except BaseException as exc:  # SystemExit from participant code is a load failure too
            traceback.print_exc(file=sys.stdout)
            raise HarnessFailure(exit_codes.LOAD_FAILED, "load_failed", f"{type(exc).__name__}: {exc}"[:500]) from exc
        report.update(load_s=round(time.perf_counter() - load_started, 4), parameter_count=params)
        say(f"generator loaded in {report['load_s']:.2f}s ({params if params is not None else '?'} parameters)")
        run_batches(generator, pairs, args, manifest, device, report, args.seed)
        if args.measure:  # from the first pass only: the repeat pass is the diversity metric's cost
            report["efficiency"] = efficiency(report, generator, manifest)
        if args.repeat_seed is not None:
            say(f"repeat pass with seed {args.repeat_seed} (the competition measures diversity)")
            run_batches(generator, pairs, args, manifest, device, report, args.repeat_seed,
                        seeding.REPEAT_DIR, "repeat_batches")
        report["status"] = "ok"
        code = exit_codes.OK
    except HarnessFailure as failure:
        report.update(status="error", error={"code": failure.code, "message": failure.message})
        say(f"error [{failure.code}]: {failure.message}")
        code = failure.exit_code
    report["pairs_written"] = sum(b["pairs"] for b in report["batches"])
    if args.repeat_seed is not None:
        report["repeat_pairs_written"] = sum(b["pairs"] for b in report["repeat_batches"])
    report["total_s"] = round(time.perf_counter() - started, 4)
    report["peak_rss_mb"] = peak_rss_mb()
    try:
        import torch

        if torch.cuda.is_available():
            report["peak_cuda_mb"] = round(torch.cuda.max_memory_allocated() / 2**20, 1)
    except Exception:  # reporting must never turn a success into a failure
        pass
    write_report(args.out, report)
    return finish(args.status_fd, code)


if __name__ == "__main__":
    sys.exit(main())
