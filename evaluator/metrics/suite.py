"""The metric suite: backbones loaded once, reference statistics cached, outputs scored in batches.

``MetricSuite.load`` builds the three networks once per process; ``reference_stats`` fills
(or reads) the per-dataset cache. Scoring has torchmetrics' shape: ``start`` makes an empty
``ScoreState`` holding the reference side, ``update`` runs Inception, VGG19 and the LPIPS
trunk on one decoded batch of outputs and reduces it to per-pair values at once (so memory
stays bounded by one batch plus 2048 floats per output), and ``compute`` (the pure
``scores.compute_scores``) turns the state into a ``ScoreResult``. ``score`` is the one-call
form: it checks every output's header, then decodes each output once and runs the three.
"""
from __future__ import annotations

import time
from collections import defaultdict
from pathlib import Path
from typing import Iterator

import numpy as np
import torch
import torch.nn.functional as F

from evaluator.metrics import io
from evaluator.metrics import losses
from evaluator.metrics import refcache
from evaluator.metrics.backbones import Backbones, load_backbones
from evaluator.metrics.catalog import REFERENCE_PROTOCOL_CONDITIONING, REFERENCE_PROTOCOL_HELD_OUT, MetricName, metric_versions
from evaluator.metrics.errors import MetricComputationError, ScoringError
from evaluator.metrics.fid import summarize
from evaluator.metrics.io import Pair
from evaluator.metrics.refcache import ReferenceStats
from evaluator.metrics.references import ReferenceImage, ReferenceSet, References, art_reference_rows, reference_set
from evaluator.metrics.runtime import Runtime, configure_runtime
from evaluator.metrics.scores import ScorerInfo, ScoreResult, ScoreState, compute_scores

__all__ = ["MetricSuite", "ScoreResult", "ScoreState", "compute_scores", "metric_size", "to_metric_input"]

# Longest side fed to VGG19 and the LPIPS trunk; larger images are downscaled (antialiased).
MAX_METRIC_SIDE = 512
# The published ArtFID runs at native size: at most this many pixels per forward pass.
ART_BATCH_PIXELS = 8 * 512 * 512
DEFAULT_BATCH_SIZE = 8


def metric_size(height: int, width: int) -> tuple[int, int]:
    """(height, width) an image is measured at by VGG19 and LPIPS: the resolution policy.

    Native size, the longer side capped at ``MAX_METRIC_SIDE`` (aspect kept); but never a
    shorter side below ``io.MIN_SIDE``, the least AlexNet and VGG19's relu5_1 can measure, so a
    very wide or tall image (more than 16:1) keeps a 32-pixel short side instead of crashing.
    """
    longest, shortest = max(height, width), min(height, width)
    if longest <= MAX_METRIC_SIDE:
        return height, width
    scale = max(MAX_METRIC_SIDE / longest, min(1.0, io.MIN_SIDE / shortest))
    if scale >= 1.0:
        return height, width
    return max(io.MIN_SIDE, round(height * scale)), max(io.MIN_SIDE, round(width * scale))


def to_metric_input(batch: torch.Tensor) -> torch.Tensor:
    """Apply the VGG/LPIPS resolution policy (``metric_size``) to a ``[B,3,H,W]`` batch."""
    height, width = batch.shape[-2:]
    size = metric_size(height, width)
    if size == (height, width):
        return batch
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
        """True when every backbone file and the LPIPS linear layers matched their pins."""
        return self.backbones.calibrated

    @property
    def weight_hashes(self) -> dict[str, str]:
        """Backbone name -> file sha256, or ``uncalibrated:<scheme>:<digest>`` for a seeded network."""
        return self.backbones.weight_hashes

    def backbone_digests(self) -> dict[str, str]:
        """Backbone name -> sha256 identifying the numbers it computes, whether file or seeded.

        Keys: ``inception``, ``vgg19``, ``alexnet``, ``lpips_linear``. A file's digest is its
        sha256; a seeded network's is ``state_digest`` of its parameters, the same on every
        thread count (see ``backbones.seeded``).
        """
        return dict(self.backbones.digests)

    def scorer_info(self) -> ScorerInfo:
        """The provenance every result of this suite carries."""
        return ScorerInfo(
            calibrated=self.calibrated,
            weight_hashes=dict(self.backbones.weight_hashes),
            device=str(self.runtime.device),
            deterministic=self.runtime.deterministic,
        )

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
        self,
        key: str,
        content_names: list[str],
        style_names: list[str],
        content_dir: Path,
        style_dir: Path,
        held_out: ReferenceSet | None = None,
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
            reference_inception = None if held_out is None else self._inception_features(held_out.images)
            # The published ArtFID's side: its own network, on the images it compares with.
            art_paths = ([style_dir / name for name in style_names] if held_out is None
                         else [image.path for image in held_out.images])
            art_inception = self._art_features(art_paths)
        style_inception = np.stack([inception_rows[name] for name in style_names])
        layers = range(len(losses.STYLE_LAYERS))
        return ReferenceStats(
            key=key,
            style_names=tuple(style_names),
            style_inception=style_inception,
            fid=summarize(style_inception if reference_inception is None else reference_inception),
            style_means=tuple(np.stack([style_rows[n][layer][0] for n in style_names]) for layer in layers),
            style_stds=tuple(np.stack([style_rows[n][layer][1] for n in style_names]) for layer in layers),
            content_names=tuple(content_names),
            content_sizes=content_sizes,
            content_targets=content_targets,
            protocol=REFERENCE_PROTOCOL_CONDITIONING if held_out is None else REFERENCE_PROTOCOL_HELD_OUT,
            reference_names=() if held_out is None else tuple(image.name for image in held_out.images),
            reference_inception=reference_inception,
            art_inception=art_inception,
        )

    def _art_features(self, paths: list[Path]) -> np.ndarray:
        """``[n, 2048]`` float64 art-Inception features of image files at native size, in order."""
        sizes = {index: io.image_size(path) for index, path in enumerate(paths)}
        rows: dict[int, np.ndarray] = {}
        for group in self._grouped(list(sizes), sizes):
            batch = self._to_device([io.decode_reference(paths[index]) for index in group])
            rows.update(zip(group, self._art_inception(batch)))
        return np.stack([rows[index] for index in range(len(paths))])

    def _art_inception(self, batch: torch.Tensor) -> np.ndarray:
        """Art-Inception features of a ``[0,1]`` batch, in slices that keep native-size batches in memory."""
        height, width = batch.shape[-2:]
        step = max(1, ART_BATCH_PIXELS // (height * width))
        return np.concatenate([
            self.backbones.art_inception(batch[start : start + step]).double().cpu().numpy()
            for start in range(0, batch.shape[0], step)
        ])

    def _inception_features(self, images: tuple[ReferenceImage, ...]) -> np.ndarray:
        """``[n, 2048]`` float64 Inception features of the held-out reference images, in order."""
        # Keyed by position: two distinct images may share a file name in different folders.
        sizes = {index: io.image_size(image.path) for index, image in enumerate(images)}
        rows: dict[int, np.ndarray] = {}
        for group in self._grouped(list(sizes), sizes):
            batch = self._to_device([io.decode_reference(images[index].path) for index in group])
            feats = self.backbones.inception(batch).double().cpu().numpy()
            rows.update(zip(group, feats))
        return np.stack([rows[index] for index in range(len(images))])

    def reference_key(
        self,
        pairs: list[Pair],
        content_dir: Path,
        style_dir: Path,
        dataset_key: str | None = None,
        *,
        references: References | None = None,
    ) -> str:
        """The cache key of the reference statistics these pairs need (under the protocol
        ``references`` selects: held-out references when given, else the conditioning styles)."""
        held_out = None if references is None else reference_set(pairs, references)
        return self._reference_key(pairs, content_dir, style_dir, dataset_key, held_out)

    def _reference_key(
        self, pairs: list[Pair], content_dir: Path, style_dir: Path, dataset_key: str | None,
        held_out: ReferenceSet | None,
    ) -> str:
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
        return refcache.cache_key(
            dataset_key, self.backbones.weight_hashes, metric_versions(), contents, styles,
            None if held_out is None else list(held_out.by_style),
        )

    def reference_stats(
        self,
        pairs: list[Pair],
        content_dir: Path,
        style_dir: Path,
        cache_dir: Path | None = None,
        dataset_key: str | None = None,
        *,
        references: References | None = None,
    ) -> ReferenceStats:
        """Reference statistics for ``pairs``: read from ``cache_dir`` or computed (and stored there).

        With ``references`` (style file -> its held-out reference images) FID/KID compare with
        the distinct reference images of the pairs' styles; without, with the distinct style
        images. The dataset publisher calls this at publish time so that no submission pays
        for it (with the same ``references`` the workers pass, or the key differs).
        """
        stats, _, _ = self._reference_stats(
            pairs, Path(content_dir), Path(style_dir), cache_dir, dataset_key, references
        )
        return stats

    def _reference_stats(
        self, pairs: list[Pair], content_dir: Path, style_dir: Path, cache_dir: Path | None, dataset_key: str | None,
        references: References | None = None,
    ) -> tuple[ReferenceStats, bool, ReferenceSet | None]:
        held_out = None if references is None else reference_set(pairs, references)
        key = self._reference_key(pairs, content_dir, style_dir, dataset_key, held_out)
        if cache_dir is not None:
            cached = refcache.load(Path(cache_dir), key)
            if cached is not None:
                return cached, True, held_out
            refcache.discard(Path(cache_dir), key)
        styles = sorted({pair.style for pair in pairs})
        if held_out is None and len(styles) < 2:
            raise ScoringError(
                "too_few_images", f"FID/KID need at least 2 distinct style images, the pairs use {len(styles)}"
            )
        contents = sorted({pair.content for pair in pairs})
        stats = self._compute_reference(key, contents, styles, content_dir, style_dir, held_out)
        if cache_dir is not None:
            refcache.save(stats, Path(cache_dir))
        return stats, False, held_out

    # -- output side: start, update per batch, compute ----------------------------------

    def start(
        self,
        pairs: list[Pair],
        content_dir: Path,
        style_dir: Path,
        cache_dir: Path | None = None,
        dataset_key: str | None = None,
        *,
        references: References | None = None,
    ) -> ScoreState:
        """An empty state for scoring ``pairs``, with their reference statistics (cached or computed).

        ``references``: as in ``reference_stats`` (held-out references for FID/KID, or None).

        Raises:
            ScoringError: ``too_few_images`` (fewer than 2 pairs or styles), ``missing_input``.
        """
        started = time.perf_counter()
        if len(pairs) < 2:
            raise ScoringError("too_few_images", f"FID/KID need at least 2 outputs, got {len(pairs)}")
        content_dir = Path(content_dir)
        ref, cache_hit, held_out = self._reference_stats(
            pairs, content_dir, Path(style_dir), cache_dir, dataset_key, references
        )
        return ScoreState(
            pairs=tuple(pairs), reference=ref, scorer=self.scorer_info(), content_dir=content_dir,
            art_rows=art_reference_rows(pairs, ref.style_names, held_out),
            cache_hit=cache_hit, timings={"reference_s": time.perf_counter() - started},
        )  # fmt: skip

    def update(self, state: ScoreState, pairs: list[Pair], outputs: torch.Tensor) -> None:
        """Accumulate one batch: ``outputs`` is ``uint8 [B,3,H,W]``, row i the output of ``pairs[i]``.

        All rows share one size, that of their content images (the suite batches by size).

        Raises:
            ScoringError: ``wrong_size`` for a batch that is not its content images' size.
            MetricComputationError: ``bad_state`` for a pair not in ``state`` or added twice.
        """
        started = time.perf_counter()
        if outputs.dtype != torch.uint8 or outputs.dim() != 4 or outputs.shape[0] != len(pairs):
            raise MetricComputationError(
                "bad_state", f"update needs a uint8 [B,3,H,W] batch of {len(pairs)} outputs, got "
                f"{outputs.dtype} {tuple(outputs.shape)}",
            )  # fmt: skip
        # Checked before any compute, so a refused batch leaves the state as it was.
        state.check_new([pair.pair_id for pair in pairs])
        height, width = outputs.shape[-2:]
        for pair in pairs:
            if tuple(state.reference.content_sizes[pair.content]) != (width, height):
                raise ScoringError(
                    "wrong_size", f"{pair.pair_id}.png: {width}x{height} differs from its content image"
                )
        nets = self.backbones
        with torch.inference_mode():
            batch = outputs.to(self.runtime.device).float().div(255)  # torchvision's ToTensor
            io.check_finite(batch, [f"{pair.pair_id}.png" for pair in pairs])
            feats = nets.inception(batch).double().cpu().numpy()
            metric_input = to_metric_input(batch)
            taps = nets.vgg(metric_input)
            content = self._content_targets(state.reference, pairs)
            style = self._style_targets(state.reference, state.reference.style_index(), pairs)
            content_values = losses.content_loss(taps, content).cpu().tolist()
            style_values = losses.style_loss(taps, style).cpu().tolist()
            lpips_values = self._lpips(metric_input, pairs, state.content_dir).cpu().tolist()
            # The published ArtFID measures LPIPS at native size: the same values unless the policy resized.
            native_lpips = (lpips_values if metric_input is batch
                            else self._lpips(batch, pairs, state.content_dir, resize=False).cpu().tolist())
            art_feats = self._art_inception(batch)
        for row, pair in enumerate(pairs):
            state.add(pair.pair_id, feats[row], {
                MetricName.LPIPS.value: lpips_values[row],
                MetricName.CONTENT_LOSS.value: content_values[row],
                MetricName.STYLE_LOSS.value: style_values[row],
            }, art_inception=art_feats[row], content_distance=native_lpips[row])  # fmt: skip
        state.timings["features_s"] = state.timings.get("features_s", 0.0) + time.perf_counter() - started

    @staticmethod
    def compute(state: ScoreState) -> ScoreResult:
        """Every metric from a complete state (``compute_scores``: pure, no network)."""
        return compute_scores(state)

    def score(
        self,
        pairs: list[Pair],
        outputs_dir: Path,
        content_dir: Path,
        style_dir: Path,
        cache_dir: Path | None = None,
        dataset_key: str | None = None,
        *,
        references: References | None = None,
    ) -> ScoreResult:
        """Score the outputs of ``pairs``: ``compute(collect(...))`` (see ``collect``)."""
        return self.compute(self.collect(pairs, outputs_dir, content_dir, style_dir, cache_dir, dataset_key,
                                         references=references))

    def collect(
        self,
        pairs: list[Pair],
        outputs_dir: Path,
        content_dir: Path,
        style_dir: Path,
        cache_dir: Path | None = None,
        dataset_key: str | None = None,
        *,
        references: References | None = None,
    ) -> ScoreState:
        """The complete state of scoring ``pairs`` (``<pair_id>.png`` in ``outputs_dir``): check, start, update.

        The worker keeps the state to resample it (``evaluator.statistics``); ``score`` computes it.

        ``references`` (style file -> its held-out reference images, as ``stage_references``
        returns them): FID/KID compare with them instead of the conditioning style images;
        ``style_loss`` still compares each output with its pair's style image. None: today's
        conditioning-styles protocol. ``ScoreResult.reference_protocol`` records which.

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
        state = self.start(pairs, content_dir, style_dir, cache_dir, dataset_key, references=references)
        state.timings["reference_s"] = time.perf_counter() - started

        by_id = {pair.pair_id: pair for pair in pairs}
        # Pairs sharing a content image land in the same batch, so its LPIPS features are reused.
        ordered = sorted(pairs, key=lambda p: (sizes[p.pair_id], p.content, p.pair_id))
        for group in self._grouped([p.pair_id for p in ordered], sizes):
            group_pairs = [by_id[pair_id] for pair_id in group]
            batch = torch.stack(
                [io.decode_output(output_paths[p.pair_id], sizes[p.pair_id]) for p in group_pairs]
            )
            self.update(state, group_pairs, batch)
        return state

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

    def _lpips(self, output_input: torch.Tensor, group: list[Pair], content_dir: Path, *,
               resize: bool = True) -> torch.Tensor:
        distinct = sorted({pair.content for pair in group})
        contents = self._to_device([io.decode_reference(content_dir / name) for name in distinct])
        if resize:
            contents = to_metric_input(contents)
        content_feats = self.backbones.lpips.features(contents)
        rows = torch.tensor([distinct.index(pair.content) for pair in group], device=contents.device)
        gathered = [feat.index_select(0, rows) for feat in content_feats]
        return self.backbones.lpips.distance(self.backbones.lpips.features(output_input), gathered)
