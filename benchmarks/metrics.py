"""Benchmark: our metric suite vs the reference pipeline of style-transfer papers.

Builds a fixed synthetic set (contents × styles pairs of PNGs), then in the same run:

* measures the practical convolution peak (a large channels-last 3×3 convolution);
* ours: ``MetricSuite`` with seeded backbones; reference statistics precomputed (as at
  dataset publish time), then ``score`` timed on its own;
* reference: pytorch-fid (outputs vs the style folder, its InceptionV3 redirected to the
  same seeded weights), the ``lpips`` package (each output vs its content) and a
  straightforward per-pair VGG19 content/style loss (three forwards per pair), same
  folders, same weights;

and prints images/s, the time ratio and the fraction of the convolution peak reached; the
cost of each optional metric (``evaluator.metrics.optional``: each one alone, its decoding
included) and of the bootstrap (B = 1,000, every metric), per 1,000 pairs. It also prints KID's peak memory at N = 20,000 per set of 2048-d features (subset kernels:
bounded by the subset size; full N×N kernels would need 3 × 3.2 GB).

    python benchmarks/metrics.py            # small set: 6 contents × 4 styles at 256² (minutes)
    python benchmarks/metrics.py --full     # 20 × 10 = 200 pairs at 256²
    python benchmarks/metrics.py --kid-only # just the KID memory line (about a minute)

(``python -P`` with ``PYTHONPATH=.`` keeps ``benchmarks/sandbox.py`` from shadowing the
``sandbox`` package when the script's folder would come first on ``sys.path``.)
"""
from __future__ import annotations

import argparse
import os
import tempfile
import time
import tracemalloc
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image
from torch.utils.flop_counter import FlopCounterMode


def make_set(root: Path, n_content: int, n_style: int, side: int) -> list:
    """Write a synthetic image set and return its pairs."""
    from evaluator.metrics.io import Pair

    rng = np.random.default_rng(0)
    for name in ("content", "style", "outputs"):
        (root / name).mkdir(parents=True, exist_ok=True)

    def image(h: int, w: int) -> np.ndarray:
        coarse = Image.fromarray((rng.random((8, 8, 3)) * 255).astype(np.uint8)).resize((w, h), Image.BICUBIC)
        return np.clip(np.asarray(coarse, dtype=np.float64) + rng.normal(0, 15, (h, w, 3)), 0, 255)

    contents = [image(side, side) for _ in range(n_content)]
    styles = [image(side + 32, side + 32) for _ in range(n_style)]
    for i, c in enumerate(contents):
        Image.fromarray(c.astype(np.uint8)).save(root / "content" / f"c{i}.png")
    for j, s in enumerate(styles):
        Image.fromarray(s.astype(np.uint8)).save(root / "style" / f"s{j}.png")
    pairs = []
    for i, c in enumerate(contents):
        for j, s in enumerate(styles):
            pair = Pair(f"p{i}_{j}", f"c{i}.png", f"s{j}.png")
            out = 0.6 * c + 0.4 * s[:side, :side]
            Image.fromarray(out.astype(np.uint8)).save(root / "outputs" / f"{pair.pair_id}.png")
            pairs.append(pair)
    return pairs


def conv_peak(seconds: float = 3.0) -> float:
    """GFLOP/s of a large channels-last 3×3 convolution (the practical peak of this machine)."""
    x = torch.randn(8, 256, 56, 56).contiguous(memory_format=torch.channels_last)
    conv = torch.nn.Conv2d(256, 256, 3, padding=1, bias=False).to(memory_format=torch.channels_last)
    flops = 2 * 8 * 256 * 56 * 56 * 256 * 9
    with torch.inference_mode():
        conv(x)
        count, start = 0, time.perf_counter()
        while time.perf_counter() - start < seconds:
            conv(x)
            count += 1
        elapsed = time.perf_counter() - start
    return flops * count / elapsed / 1e9


def interleaved_fraction(suite, side: int, batch: int, per_output: float, reps: int = 3) -> list[float]:
    """Backbone GFLOP/s over peak GFLOP/s, measured back to back ``reps`` times.

    On a shared machine the available CPU drifts; measuring the two side by side, several
    times, gives a fraction that is far less noisy than either number alone.
    """
    x = torch.rand(batch, 3, side, side)
    fractions = []
    with torch.inference_mode():
        suite.backbones.inception(x), suite.backbones.vgg(x), suite.backbones.lpips.features(x)
        for _ in range(reps):
            peak = conv_peak(seconds=1.5)
            start = time.perf_counter()
            suite.backbones.inception(x), suite.backbones.vgg(x), suite.backbones.lpips.features(x)
            achieved = batch * per_output / (time.perf_counter() - start) / 1e9
            fractions.append(achieved / peak)
    return fractions


def flops_per_output(suite, side: int) -> float:
    """Backbone FLOPs spent on one output image (Inception + VGG19 to relu5_1 + LPIPS trunk)."""
    x = torch.rand(1, 3, side, side)
    counter = FlopCounterMode(display=False)
    with counter, torch.inference_mode():
        suite.backbones.inception(x)
        suite.backbones.vgg(x)
        suite.backbones.lpips.features(x)
    return float(counter.get_total_flops())


def kid_memory(n: int = 20_000, dim: int = 2048, subsets: int = 100) -> tuple[float, float]:
    """Peak memory (MiB, tracemalloc) and seconds of one KID over two ``[n, dim]`` float32 sets.

    The inputs are allocated before tracing starts: the figure is what KID itself adds.
    """
    from evaluator.metrics.kid import kernel_inception_distance

    rng = np.random.default_rng(0)
    a = rng.random((n, dim), dtype=np.float32)
    b = rng.random((n, dim), dtype=np.float32)
    tracemalloc.start()
    start = time.perf_counter()
    try:
        kernel_inception_distance(a, b, subsets=subsets)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak / 2**20, time.perf_counter() - start


def reference_pipeline(root: Path, pairs: list, suite, torch_home: Path) -> dict[str, float]:
    """pytorch-fid + lpips + naive per-pair VGG losses on the same folders and weights."""
    import lpips
    import torchvision
    from pytorch_fid.fid_score import calculate_fid_given_paths

    os.environ["TORCH_HOME"] = str(torch_home)
    times: dict[str, float] = {}
    start = time.perf_counter()
    fid = calculate_fid_given_paths(
        [str(root / "outputs"), str(root / "style")], batch_size=50, device="cpu", dims=2048, num_workers=0
    )
    times["pytorch_fid_s"] = time.perf_counter() - start

    model = lpips.LPIPS(pretrained=True, net="alex", pnet_rand=True, verbose=False)
    trunk = suite.backbones.lpips.trunk.state_dict()
    for k in range(1, 6):
        for name, layer in getattr(model.net, f"slice{k}").named_children():
            if isinstance(layer, torch.nn.Conv2d):
                layer.weight.data.copy_(trunk[f"{name}.weight"])
                layer.bias.data.copy_(trunk[f"{name}.bias"])
    vgg = torchvision.models.vgg19(weights=None).features[:30].eval()
    vgg.load_state_dict(suite.backbones.vgg.features.state_dict())
    mean = torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1)
    std = torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1)

    def load(path: Path) -> torch.Tensor:
        return torch.from_numpy(np.asarray(Image.open(path).convert("RGB"), dtype=np.float32) / 255).permute(2, 0, 1)[None]

    def taps(x: torch.Tensor) -> list[torch.Tensor]:
        out, x = [], (x - mean) / std
        for index, layer in enumerate(vgg):
            x = layer(x)
            if index in (1, 6, 11, 20, 29):
                out.append(x.clone())
        return out

    def mean_std(f: torch.Tensor):
        flat = f.flatten(2)
        return flat.mean(2), (flat.var(2) + 1e-5).sqrt()

    def mvn(f: torch.Tensor) -> torch.Tensor:
        m, s = mean_std(f)
        return (f - m[..., None, None]) / s[..., None, None]

    start = time.perf_counter()
    with torch.no_grad():
        lp = [float(model(load(root / "outputs" / f"{p.pair_id}.png"), load(root / "content" / p.content), normalize=True))
              for p in pairs]  # fmt: skip
    times["lpips_s"] = time.perf_counter() - start
    start = time.perf_counter()
    with torch.no_grad():
        for p in pairs:
            o, c, s = (taps(load(path)) for path in (root / "outputs" / f"{p.pair_id}.png",
                                                      root / "content" / p.content, root / "style" / p.style))  # fmt: skip
            _ = F.mse_loss(mvn(o[3]), mvn(c[3])) + F.mse_loss(mvn(o[4]), mvn(c[4]))
            _ = sum(F.mse_loss(mean_std(o[k])[0], mean_std(s[k])[0]) + F.mse_loss(mean_std(o[k])[1], mean_std(s[k])[1])
                    for k in range(5))  # fmt: skip
    times["vgg_s"] = time.perf_counter() - start
    times["total_s"] = sum(times.values())
    times["fid"] = fid
    times["lpips"] = float(np.mean(lp))
    return times


def repeat_outputs(s: Path) -> Path:
    """A stand-in for the harness's repeat pass: each output with seeded noise (diversity's second image).

    Diversity's cost here is its LPIPS only; the second generator pass it needs is the generator's own cost.
    """
    from PIL import Image

    rng = np.random.default_rng(3)
    repeat = s / "outputs-repeat"
    repeat.mkdir(exist_ok=True)
    for path in sorted((s / "outputs").glob("*.png")):
        pixels = np.asarray(Image.open(path), dtype=np.float64)
        noisy = np.clip(pixels + rng.normal(0.0, 10.0, pixels.shape), 0, 255).astype(np.uint8)
        Image.fromarray(noisy, "RGB").save(repeat / path.name)
    return repeat


def optional_costs(suite, pairs: list, s: Path, cache: Path, only: list[str] | None = None) -> None:
    """Print the seconds per 1,000 pairs of each optional metric alone, of all together, and of the bootstrap."""
    from evaluator.metrics.optional import compute_optional
    from evaluator.metrics.optional_catalog import OPTIONAL_METRICS
    from evaluator.statistics.replicates import bootstrap

    n = len(pairs)
    repeat = repeat_outputs(s)
    state = suite.collect(pairs, s / "outputs", s / "content", s / "style", cache_dir=cache)
    result = suite.compute(state)
    print(f"catalog metrics (score, cache warm): {result.timings['total_s'] / n * 1000:.0f} s per 1,000 pairs")
    names = [name for name in OPTIONAL_METRICS if not only or name in only]
    for name in [*names, names]:
        chosen = name if isinstance(name, list) else [name]
        start = time.perf_counter()
        values = compute_optional(suite, state, chosen, s / "outputs", s / "style", repeat)
        seconds = time.perf_counter() - start
        label = "all together" if isinstance(name, list) else name
        print(f"optional {label:<12} {seconds / n * 1000:8.1f} s per 1,000 pairs ({seconds:.2f}s for {n})")
    for pair_id, row in values.items():
        state.per_pair[pair_id].update(row)
    metrics = sorted(set(result.metrics) | set(names))
    start = time.perf_counter()
    drawn = bootstrap(state, metrics)
    seconds = time.perf_counter() - start
    print(f"bootstrap B={drawn.resamples}, {len(drawn.replicates)} metrics with replicates, N={n}: {seconds:.2f}s "
          "(grows with N and the reference rank: benchmarks/ranking.py gives N = 100 and 1,000)")


def main() -> None:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--full", action="store_true", help="200 pairs (20 contents × 10 styles)")
    parser.add_argument("--contents", type=int, default=6)
    parser.add_argument("--styles", type=int, default=4)
    parser.add_argument("--side", type=int, default=256)
    parser.add_argument("--threads", type=int, default=None, help="torch threads (default: all CPUs)")
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--skip-reference", action="store_true")
    parser.add_argument("--kid-only", action="store_true", help="only the KID memory figure")
    parser.add_argument("--skip-kid", action="store_true", help="skip the KID memory figure (minutes)")
    parser.add_argument("--skip-optional", action="store_true", help="skip the optional metrics' and bootstrap's costs")
    parser.add_argument("--optional", default="", help="time only these optional metrics (comma-separated; default all)")
    args = parser.parse_args()
    if args.full:
        args.contents, args.styles = 20, 10

    if args.threads:
        torch.set_num_threads(args.threads)
    n_kid = 20_000
    peak_mib, kid_s = kid_memory(n_kid) if not args.skip_kid else (float("nan"), 0.0)
    full_gib = 3 * n_kid * n_kid * 8 / 2**30
    print(f"KID at N={n_kid:,} per set, 2048-d, 100 subsets of 1000: peak {peak_mib:.0f} MiB over its inputs "
          f"(target < 200 MB; full N×N kernels would need {full_gib:.1f} GiB), {kid_s:.1f}s")  # fmt: skip
    if args.kid_only:
        return

    from evaluator.metrics.suite import MetricSuite
    from evaluator.metrics.backbones.inception import seeded_fid_inception
    from evaluator.weights import Backbone, manifest_entry

    with tempfile.TemporaryDirectory(prefix="stylearena-bench-") as tmp:
        root = Path(tmp)
        pairs = make_set(root / "set", args.contents, args.styles, args.side)
        n = len(pairs)
        # One seeded Inception file, given to both sides (as in the tests).
        weights = root / "weights"
        weights.mkdir()
        inception_file = manifest_entry(Backbone.INCEPTION).filename
        start = time.perf_counter()
        suite_threads = args.threads
        torch.set_num_threads(suite_threads or len(os.sched_getaffinity(0)))
        torch.save(seeded_fid_inception(seed=7).state_dict(), weights / inception_file)
        (root / "torch" / "hub" / "checkpoints").mkdir(parents=True)
        os.link(weights / inception_file, root / "torch" / "hub" / "checkpoints" / inception_file)
        suite = MetricSuite.load(weights, "cpu", batch_size=args.batch_size, threads=suite_threads)
        load_s = time.perf_counter() - start
        print(f"set: {n} pairs ({args.contents} contents × {args.styles} styles) at {args.side}², "
              f"threads={torch.get_num_threads()}, batch={args.batch_size}")  # fmt: skip
        peak = conv_peak()
        print(f"convolution peak (channels-last 3×3, 256ch): {peak:.0f} GFLOP/s")
        per_output = flops_per_output(suite, args.side)
        print(f"backbone work per output: {per_output / 1e9:.1f} GFLOP")

        s = root / "set"
        start = time.perf_counter()
        suite.reference_stats(pairs, s / "content", s / "style", cache_dir=root / "cache")
        publish_s = time.perf_counter() - start
        suite.score(pairs, s / "outputs", s / "content", s / "style", cache_dir=root / "cache")  # warm-up
        result = suite.score(pairs, s / "outputs", s / "content", s / "style", cache_dir=root / "cache")
        ours = result.timings["total_s"]
        achieved = n * per_output / result.timings["features_s"] / 1e9
        print(f"ours: load {load_s:.1f}s, reference stats (publish time) {publish_s:.1f}s")
        print(f"ours: score {ours:.2f}s = {n / ours:.2f} outputs/s; backbones {achieved:.0f} GFLOP/s "
              f"= {achieved / peak:.0%} of peak; fid={result.metrics['fid']:.4f} lpips={result.metrics['lpips']:.6f}")  # fmt: skip
        fractions = interleaved_fraction(suite, args.side, args.batch_size, per_output)
        print("backbones vs peak, measured back to back: "
              + ", ".join(f"{f:.0%}" for f in fractions) + f" (median {sorted(fractions)[1]:.0%})")  # fmt: skip
        if not args.skip_optional:
            optional_costs(suite, pairs, s, root / "cache", [n for n in args.optional.split(",") if n])
        if args.skip_reference:
            return
        ref = reference_pipeline(s, pairs, suite, root / "torch")
        print(f"reference: pytorch-fid {ref['pytorch_fid_s']:.1f}s, lpips {ref['lpips_s']:.1f}s, "
              f"per-pair VGG {ref['vgg_s']:.1f}s, total {ref['total_s']:.1f}s = {n / ref['total_s']:.2f} outputs/s")  # fmt: skip
        print(f"reference: fid={ref['fid']:.4f} lpips={ref['lpips']:.6f}")
        fid_rel = abs(result.metrics["fid"] - ref["fid"]) / abs(ref["fid"])
        print(f"agreement: FID relative difference {fid_rel:.1e}, "
              f"mean LPIPS difference {abs(result.metrics['lpips'] - ref['lpips']):.1e}")  # fmt: skip
        print(f"time ratio ours/reference: {ours / ref['total_s']:.3f}")


if __name__ == "__main__":
    main()
