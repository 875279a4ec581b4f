"""Sandbox overhead: the same generator over the same pairs, in the sandbox vs the harness on the host.

Usage::

    python benchmarks/sandbox.py [--pairs 8] [--size 256] [--repeats 3] [--format torchscript|export|package]

"host" runs sandbox/harness/harness.py as a subprocess of the host venv's Python; "sandbox"
is ``SandboxRunner.run`` (create, start, exec the harness, copy the outputs out, remove).
Both wall times include starting Python and importing torch, so the difference is the
per-submission overhead of the sandbox. So that both sides import the same torch, the host
side runs with the image's CPU torch wheel installed (once, offline, from the image build's
wheelhouse) into /var/cache/stylearena/bench-cpu-torch and put on PYTHONPATH; pass
``--host-torch venv`` to use the venv's own (CUDA) torch instead. The harness's own report
(``total_s``) splits the figures into "inside the harness" and "around it". Figures are
noisy on a shared machine.

The measurement overhead (issue 16) is printed too: the same model through the host harness
with and without ``--no-measure`` (interleaved runs, medians of the harness's own ``total_s``),
and the exact cost of the measuring code itself (the per-batch clock and the whole-run
aggregates of ``harness.efficiency``) timed in-process. It must stay under 2 % of the run.
``--overhead-only`` skips the Docker part.
"""
from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

if __name__ == "__main__":
    # Run as a file, this script's folder comes first on sys.path and its own name would
    # shadow the ``sandbox`` package; drop that entry (``python -m benchmarks.sandbox`` needs none).
    sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

from arena.core.enums import SubmissionFormat
from arena.core.limits import SandboxLimits
from arena.core.settings import Settings
from sandbox.examples import (
    write_blend_package,
    write_export_generator,
    write_image_set,
    write_torchscript_generator,
)
from sandbox.image import DEFAULT_CACHE_DIR, ImageRecipe, ensure_image
from sandbox.local import install_harness
from sandbox.runner import SandboxRunner
from sandbox.validation import validate_outputs

CPU_TORCH_DIR = DEFAULT_CACHE_DIR / "bench-cpu-torch"


def cpu_torch_path() -> Path:
    """The image's torch wheel installed into a host directory (offline, from the wheelhouse)."""
    if not (CPU_TORCH_DIR / "torch" / "__init__.py").exists():
        wheel = ImageRecipe().torch_wheel
        requirement = wheel.name.split("-")[0] + "==" + wheel.name.split("-")[1]
        subprocess.run(
            [sys.executable, "-m", "pip", "install", "--quiet", "--no-index", "--no-deps", "--find-links",
             str(DEFAULT_CACHE_DIR / "wheels"), "--find-links", str(wheel.parent), "--target", str(CPU_TORCH_DIR), requirement],
            check=True,
        )
    return CPU_TORCH_DIR


def run_host(model: Path, fmt: SubmissionFormat, inputs: Path, out: Path, threads: int,
             torch_path: Path | None, measure: bool = True) -> tuple[float, float]:
    """Wall time of the harness as a host subprocess, and its own reported total."""
    import json
    import os

    env = dict(os.environ)
    if torch_path is not None:
        env["PYTHONPATH"] = str(torch_path)

    # The harness files laid out as in the image (the shared modules beside it).
    harness = install_harness(out.parent / f"{out.name}-harness")
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-u", str(harness), "--submission", str(model), "--format", fmt.value, "--inputs", str(inputs),
         "--out", str(out), "--workdir", str(out.parent / f"{out.name}-work"), "--threads", str(threads), "--device", "cpu",
         *([] if measure else ["--no-measure"])],
        check=True, capture_output=True, env=env,
    )
    wall = time.perf_counter() - started
    report = json.loads((out / "report.json").read_text())
    return wall, float(report["total_s"])


def run_sandbox(runner: SandboxRunner, model: Path, fmt: SubmissionFormat, inputs: Path, out: Path,
                limits: SandboxLimits) -> tuple[float, float]:
    """Wall time of a full sandbox run, and the harness's reported total inside it."""
    started = time.perf_counter()
    result = runner.run(model, fmt, inputs, out, limits, {"stylearena.evaluation": "benchmark"})
    wall = time.perf_counter() - started
    validate_outputs(out, inputs)
    return wall, float(result.report["total_s"])


def measuring_cost(pairs: int, batch_size: int, repeats: int = 200) -> float:
    """Seconds the measuring code costs one run: a clock read per batch and ``efficiency`` at the end."""
    from sandbox.examples import tiny_stylizer
    from sandbox.harness import harness

    generator = tiny_stylizer()
    batches = [{"index": i, "pairs": min(batch_size, pairs - i * batch_size), "seconds": 0.01 * (i + 1)}
               for i in range(-(-pairs // batch_size))]
    started = time.perf_counter()
    for _ in range(repeats):
        for _ in batches:
            time.perf_counter(), time.perf_counter()
        harness.efficiency({"batches": batches, "format": "torchscript"}, generator, {})
    return (time.perf_counter() - started) / repeats


def overhead(model: Path, fmt: SubmissionFormat, inputs: Path, root: Path, args, torch_path: Path | None) -> None:
    """Print the measurement overhead: A/B runs with and without it, and the measuring code's own cost."""
    measured, bare = [], []
    for i in range(args.repeats):  # interleaved, so drifts of the shared machine hit both sides
        measured.append(run_host(model, fmt, inputs, root / f"measured-{i}", 1, torch_path, measure=True)[1])
        bare.append(run_host(model, fmt, inputs, root / f"bare-{i}", 1, torch_path, measure=False)[1])
    med = statistics.median
    with_m, without = med(measured), med(bare)
    direct = measuring_cost(args.pairs, 4)
    print(f"measurement overhead ({args.format}, {args.pairs} pairs of {args.size}x{args.size}, {args.repeats} interleaved runs each):")
    print(f"  harness total_s with measurements    : {with_m:7.3f} s  (runs {', '.join(f'{v:.2f}' for v in measured)})")
    print(f"  harness total_s without measurements : {without:7.3f} s  (runs {', '.join(f'{v:.2f}' for v in bare)})")
    print(f"  A/B difference of medians            : {with_m - without:+7.3f} s = {100 * (with_m - without) / without:+.2f} % (noise of the shared machine)")
    print(f"  measuring code itself, timed exactly : {direct * 1e6:7.1f} us per run = {100 * direct / without:.4f} % of the run (target < 2 %)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=8)
    parser.add_argument("--size", type=int, default=256)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--format", choices=[f.value for f in SubmissionFormat], default="torchscript")
    parser.add_argument("--cpus", type=float, default=2.0)
    parser.add_argument("--host-torch", choices=["cpu-wheel", "venv"], default="cpu-wheel")
    parser.add_argument("--overhead-only", action="store_true", help="only the measurement overhead (no Docker)")
    args = parser.parse_args()
    torch_path = cpu_torch_path() if args.host_torch == "cpu-wheel" else None
    if args.overhead_only:
        with tempfile.TemporaryDirectory(prefix="bench-overhead-") as scratch:
            root = Path(scratch)
            inputs = write_image_set(root / "set", n_pairs=args.pairs, size=(args.size, args.size))
            overhead(write_torchscript_generator(root / "model.pt"), SubmissionFormat.TORCHSCRIPT, inputs, root, args,
                     torch_path)
        return

    settings = Settings.from_env()
    image_id = ensure_image(settings)
    runner = SandboxRunner(settings.docker_host, image_id)
    limits = settings.sandbox.run_limits().tightened(cpus=args.cpus)
    fmt = SubmissionFormat(args.format)
    with tempfile.TemporaryDirectory(prefix="bench-sandbox-") as scratch:
        root = Path(scratch)
        inputs = write_image_set(root / "set", n_pairs=args.pairs, size=(args.size, args.size))
        writers = {SubmissionFormat.TORCHSCRIPT: lambda: write_torchscript_generator(root / "model.pt"),
                   SubmissionFormat.EXPORT: lambda: write_export_generator(root / "model.pt2"),
                   SubmissionFormat.PACKAGE: lambda: write_blend_package(root / "model.zip")}
        model = writers[fmt]()
        host, sandbox = [], []
        for i in range(args.repeats):
            host.append(run_host(model, fmt, inputs, root / f"host-{i}", max(1, int(args.cpus)), torch_path))
            sandbox.append(run_sandbox(runner, model, fmt, inputs, root / f"sandbox-{i}", limits))
        overhead(model, fmt, inputs, root, args, torch_path)
    med = statistics.median
    host_wall, host_inner = med(w for w, _ in host), med(t for _, t in host)
    box_wall, box_inner = med(w for w, _ in sandbox), med(t for _, t in sandbox)
    print(f"host torch: {args.host_torch}; {args.format}, {args.pairs} pairs of {args.size}x{args.size}, {args.repeats} repeats (medians), cpus={args.cpus}")
    print(f"  host harness subprocess : {host_wall:6.2f} s wall  (harness inside: {host_inner:5.2f} s)")
    print(f"  sandbox run             : {box_wall:6.2f} s wall  (harness inside: {box_inner:5.2f} s)")
    print(f"  overhead per submission : {box_wall - host_wall:+6.2f} s  (target <= 1.5 s)")
    print(f"  around the harness      : host {host_wall - host_inner:5.2f} s (python + torch import), "
          f"sandbox {box_wall - box_inner:5.2f} s (container lifecycle + python + torch import + copy-out)")


if __name__ == "__main__":
    main()
