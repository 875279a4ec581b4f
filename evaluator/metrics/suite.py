"""The metric suite: backbones loaded once, reference statistics cached, outputs scored in batches.

``MetricSuite.load`` builds the three networks once per process; ``reference_stats`` fills
(or reads) the per-dataset cache; ``score`` validates and decodes every output once, runs
Inception, VGG19 and the LPIPS trunk on the same decoded batch, and reduces to per-pair
values immediately, so memory stays bounded by one batch plus 2048 floats per output.
"""
from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Iterator

import numpy as np
import torch
import torch.nn.functional as F

from evaluator.metrics import io
from evaluator.metrics import losses
from evaluator.metrics import refcache
from evaluator.metrics.backbones import Backbones, load_backbones
from evaluator.metrics.catalog import PER_PAIR_METRICS, MetricName, metric_versions
from evaluator.metrics.errors import ScoringError
from evaluator.metrics.fid import frechet_distance, summarize
from evaluator.metrics.io import Pair
from evaluator.metrics.kid import kernel_inception_distance
from evaluator.metrics.refcache import ReferenceStats
from evaluator.metrics.runtime import Runtime, configure_runtime

# Longest side fed to VGG19 and the LPIPS trunk; larger images are downscaled (antialiased).
MAX_METRIC_SIDE = 512
DEFAULT_BATCH_SIZE = 8


@dataclass(frozen=True)
class ScoreResult:
    """Scores of one set of outputs, with the provenance needed to trust and compare them."""

    metrics: dict[str, float]
    per_pair: dict[str, dict[str, float]]
    kid_std: float
    n: int
    calibrated: bool
    weight_hashes: dict[str, str]
    metric_versions: dict[str, str]
    device: str
    deterministic: bool
    n_styles: int = 0
    kid_subset_size: int = 0
    cache_hit: bool = False
    timings: dict[str, float] = field(default_factory=dict)

    def to_json(self) -> dict:
        """A JSON-serialisable dict (what ``stylearena score --json`` prints)."""
        return asdict(self)


def to_metric_input(batch: torch.Tensor) -> torch.Tensor:
    """Apply the VGG/LPIPS resolution policy: native size, longer side capped at 512."""
    height, width = batch.shape[-2:]
    longest = max(height, width)
    if longest <= MAX_METRIC_SIDE:
        return batch
    scale = MAX_METRIC_SIDE / longest
    size = (max(1, round(height * scale)), max(1, round(width * scale)))
    return F.interpolate(batch, size=size, mode="bilinear", align_corners=False, antialias=True)


def _chunks(items: list, size: int) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


class MetricSuite:
    """All metrics on one set of backbones; safe to reuse for many ``score`` calls."""

    def __init__(self, backbones: Backbones, runtime: Runtime, batch_size: int = DEFAULT_BATCH_SIZE) -> None:
        self.backbones = backbones
        self.runtime = runtime
        self.batch_size = batch_size

    @classmethod
    def load(
        cls,
        weights_dir: Path | None,
        device: str | None = None,
        *,
        batch_size: int = DEFAULT_BATCH_SIZE,
        threads: int | None = None,
    ) -> "MetricSuite":
        """Configure the device and load the backbones (from ``weights_dir`` or seeded)."""
        runtime = configure_runtime(device, threads)
        backbones = load_backbones(Path(weights_dir) if weights_dir else None, runtime.device)
        return cls(backbones, runtime, batch_size)

    @property
    def calibrated(self) -> bool:
        """True when every backbone file matched its pinned hash."""
        return self.backbones.calibrated

    # -- batching helpers -------------------------------------------------------------

    def _to_device(self, images: list[torch.Tensor]) -> torch.Tensor:
        batch = torch.stack(images).to(self.runtime.device)
        return batch.float().div(255)  # exactly torchvision's ToTensor, as pytorch-fid reads

    def _grouped(self, names: list[str], sizes: dict[str, tuple[int, int]]) -> Iterator[list[str]]:
        by_size: dict[tuple[int, int], list[str]] = defaultdict(list)
        for name in names:
            by_size[sizes[name]].append(name)
        for size in sorted(by_size):
            yield from _chunks(by_size[size], self.batch_size)

    # -- reference side ---------------------------------------------------------------

    def _compute_reference(
        self, key: str, content_names: list[str], style_names: list[str], content_dir: Path, style_dir: Path
    ) -> ReferenceStats:
        nets = self.backbones
        style_sizes = {name: io.image_size(style_dir / name) for name in style_names}
        content_sizes = {name: io.image_size(content_dir / name) for name in content_names}
        inception_rows: dict[str, np.ndarray] = {}
        style_rows: dict[str, list[tuple[np.ndarray, np.ndarray]]] = {}
        with torch.inference_mode():
            for group in self._grouped(style_names, style_sizes):
                batch = self._to_device([io.decode_reference(style_dir / name) for name in group])
                feats = nets.inception(batch).double().cpu().numpy()
                targets = losses.style_targets(nets.vgg(to_metric_input(batch)))
                for row, name in enumerate(group):
                    inception_rows[name] = feats[row]
                    style_rows[name] = [(m[row].cpu().numpy(), s[row].cpu().numpy()) for m, s in targets]
            content_targets: dict[str, tuple[np.ndarray, ...]] = {}
            for group in self._grouped(content_names, content_sizes):
                batch = self._to_device([io.decode_reference(content_dir / name) for name in group])
                targets = losses.content_targets(nets.vgg(to_metric_input(batch)))
                for row, name in enumerate(group):
                    content_targets[name] = tuple(t[row].contiguous().cpu().numpy() for t in targets)
        style_inception = np.stack([inception_rows[name] for name in style_names])
        layers = range(len(losses.STYLE_LAYERS))
        return ReferenceStats(
            key=key,
            style_names=tuple(style_names),
            style_inception=style_inception,
            fid=summarize(style_inception),
            style_means=tuple(np.stack([style_rows[n][layer][0] for n in style_names]) for layer in layers),
            style_stds=tuple(np.stack([style_rows[n][layer][1] for n in style_names]) for layer in layers),
            content_names=tuple(content_names),
            content_sizes=content_sizes,
            content_targets=content_targets,
        )

    def reference_key(
        self, pairs: list[Pair], content_dir: Path, style_dir: Path, dataset_key: str | None = None
    ) -> str:
        """The cache key of the reference statistics these pairs need."""
        contents = sorted({pair.content for pair in pairs})
        styles = sorted({pair.style for pair in pairs})
        if dataset_key is None:
            for name in contents:
                if not (content_dir / name).is_file():
                    raise ScoringError("missing_input", f"content image {name} not found in {content_dir}")
            for name in styles:
                if not (style_dir / name).is_file():
                    raise ScoringError("missing_input", f"style image {name} not found in {style_dir}")
            dataset_key = "files:" + refcache.fingerprint_files(content_dir, contents) + ":" + (
                refcache.fingerprint_files(style_dir, styles)
            )
        return refcache.cache_key(dataset_key, self.backbones.weight_hashes, metric_versions(), contents, styles)

    def reference_stats(
        self,
        pairs: list[Pair],
        content_dir: Path,
        style_dir: Path,
        cache_dir: Path | None = None,
        dataset_key: str | None = None,
    ) -> ReferenceStats:
        """Reference statistics for ``pairs``: read from ``cache_dir`` or computed (and stored there).

        The dataset publisher calls this at publish time so that no submission pays for it.
        """
        stats, _ = self._reference_stats(pairs, Path(content_dir), Path(style_dir), cache_dir, dataset_key)
        return stats

    def _reference_stats(
        self, pairs: list[Pair], content_dir: Path, style_dir: Path, cache_dir: Path | None, dataset_key: str | None
    ) -> tuple[ReferenceStats, bool]:
        key = self.reference_key(pairs, content_dir, style_dir, dataset_key)
        if cache_dir is not None:
            cached = refcache.load(Path(cache_dir), key)
            if cached is not None:
                return cached, True
            refcache.discard(Path(cache_dir), key)
        styles = sorted({pair.style for pair in pairs})
        if len(styles) < 2:
            raise ScoringError(
                "too_few_images", f"FID/KID need at least 2 distinct style images, the pairs use {len(styles)}"
            )
        contents = sorted({pair.content for pair in pairs})
        stats = self._compute_reference(key, contents, styles, content_dir, style_dir)
        if cache_dir is not None:
            refcache.save(stats, Path(cache_dir))
        return stats, False

    # -- output side ------------------------------------------------------------------

    def score(
        self,
        pairs: list[Pair],
        outputs_dir: Path,
        content_dir: Path,
        style_dir: Path,
        cache_dir: Path | None = None,
        dataset_key: str | None = None,
    ) -> ScoreResult:
        """Score the outputs of ``pairs`` (``<pair_id>.png`` in ``outputs_dir``).

        Raises:
            ScoringError: bad outputs or inputs (code names the problem, message the file).
            MetricComputationError: a platform-side numerics or weights failure.
        """
        started = time.perf_counter()
        outputs_dir, content_dir, style_dir = Path(outputs_dir), Path(content_dir), Path(style_dir)
        if len(pairs) < 2:
            raise ScoringError("too_few_images", f"FID/KID need at least 2 outputs, got {len(pairs)}")
        output_paths = io.check_output_files(pairs, outputs_dir)
        # Every output is held to the contract from its header before anything is computed,
        # so a participant's mistake costs no backbone time.
        content_sizes = {name: io.image_size(content_dir / name) for name in {p.content for p in pairs}}
        sizes = {pair.pair_id: content_sizes[pair.content] for pair in pairs}
        for pair in pairs:
            io.check_output_header(output_paths[pair.pair_id], sizes[pair.pair_id])
        ref, cache_hit = self._reference_stats(pairs, content_dir, style_dir, cache_dir, dataset_key)
        reference_done = time.perf_counter()

        nets = self.backbones
        style_index = ref.style_index()
        by_id = {pair.pair_id: pair for pair in pairs}
        # Pairs sharing a content image land in the same batch, so its LPIPS features are reused.
        ordered = sorted(pairs, key=lambda p: (sizes[p.pair_id], p.content, p.pair_id))
        inception_rows: dict[str, np.ndarray] = {}
        per_pair: dict[str, dict[str, float]] = {}
        with torch.inference_mode():
            for group in self._grouped([p.pair_id for p in ordered], sizes):
                group_pairs = [by_id[pair_id] for pair_id in group]
                batch = self._to_device(
                    [io.decode_output(output_paths[p.pair_id], sizes[p.pair_id]) for p in group_pairs]
                )
                io.check_finite(batch, [output_paths[p.pair_id].name for p in group_pairs])
                feats = nets.inception(batch).double().cpu().numpy()
                metric_input = to_metric_input(batch)
                taps = nets.vgg(metric_input)
                content = self._content_targets(ref, group_pairs)
                style = self._style_targets(ref, style_index, group_pairs)
                content_values = losses.content_loss(taps, content).cpu().tolist()
                style_values = losses.style_loss(taps, style).cpu().tolist()
                lpips_values = self._lpips(metric_input, group_pairs, content_dir).cpu().tolist()
                for row, pair in enumerate(group_pairs):
                    inception_rows[pair.pair_id] = feats[row]
                    per_pair[pair.pair_id] = {
                        MetricName.LPIPS.value: lpips_values[row],
                        MetricName.CONTENT_LOSS.value: content_values[row],
                        MetricName.STYLE_LOSS.value: style_values[row],
                    }
        features_done = time.perf_counter()

        output_features = np.stack([inception_rows[pair.pair_id] for pair in pairs])
        fid = frechet_distance(summarize(output_features), ref.fid)
        kid = kernel_inception_distance(output_features, np.asarray(ref.style_inception))
        metrics = {
            name: float(np.mean([per_pair[p.pair_id][name] for p in pairs], dtype=np.float64))
            for name in PER_PAIR_METRICS
        }
        metrics[MetricName.FID.value] = fid
        metrics[MetricName.KID.value] = kid.mean
        metrics[MetricName.ART_FID.value] = (1.0 + metrics[MetricName.LPIPS.value]) * (1.0 + fid)
        finished = time.perf_counter()
        return ScoreResult(
            metrics={name: metrics[name] for name in (m.value for m in MetricName)},
            per_pair={pair.pair_id: per_pair[pair.pair_id] for pair in pairs},
            kid_std=kid.std,
            n=len(pairs),
            calibrated=self.calibrated,
            weight_hashes=self.backbones.weight_hashes,
            metric_versions=metric_versions(),
            device=str(self.runtime.device),
            deterministic=self.runtime.deterministic,
            n_styles=len(ref.style_names),
            kid_subset_size=kid.subset_size,
            cache_hit=cache_hit,
            timings={
                "reference_s": reference_done - started,
                "features_s": features_done - reference_done,
                "distances_s": finished - features_done,
                "total_s": finished - started,
            },
        )

    def _content_targets(self, ref: ReferenceStats, group: list[Pair]) -> list[torch.Tensor]:
        layers = zip(*(ref.content_targets[pair.content] for pair in group))
        # np.array copies out of the memory map (torch refuses read-only buffers).
        return [torch.from_numpy(np.stack([np.array(a) for a in arrays])).to(self.runtime.device) for arrays in layers]

    def _style_targets(
        self, ref: ReferenceStats, style_index: dict[str, int], group: list[Pair]
    ) -> list[tuple[torch.Tensor, torch.Tensor]]:
        rows = [style_index[pair.style] for pair in group]
        device = self.runtime.device
        return [
            (torch.from_numpy(np.array(means[rows])).to(device), torch.from_numpy(np.array(stds[rows])).to(device))
            for means, stds in zip(ref.style_means, ref.style_stds)
        ]

    def _lpips(self, output_input: torch.Tensor, group: list[Pair], content_dir: Path) -> torch.Tensor:
        distinct = sorted({pair.content for pair in group})
        contents = to_metric_input(self._to_device([io.decode_reference(content_dir / name) for name in distinct]))
        content_feats = self.backbones.lpips.features(contents)
        rows = torch.tensor([distinct.index(pair.content) for pair in group], device=contents.device)
        gathered = [feat.index_select(0, rows) for feat in content_feats]
        return self.backbones.lpips.distance(self.backbones.lpips.features(output_input), gathered)
