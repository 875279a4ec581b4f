"""The metric suite: backbones loaded once, reference statistics cached, outputs scored in batches.

``MetricSuite.load`` builds the three networks once per process; ``reference_stats`` (the
reference side, ``reference_side.py``) fills (or reads) the per-dataset cache. Scoring has torchmetrics' shape: ``start`` makes an empty
``ScoreState`` holding the reference side, ``update`` runs Inception, VGG19 and the LPIPS
trunk on one decoded batch of outputs and reduces it to per-pair values at once (so memory
stays bounded by one batch plus 2048 floats per output), and ``compute`` (the pure
``scores.compute_scores``) turns the state into a ``ScoreResult``. ``score`` is the one-call
form: it checks every output's header, then decodes each output once and runs the three.
"""
from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import torch

from evaluator.metrics import io
from evaluator.metrics import losses
from evaluator.metrics.backbones import Backbones, load_backbones
from evaluator.metrics.catalog import MetricName
from evaluator.metrics.errors import MetricComputationError, ScoringError
from evaluator.metrics.io import Pair
from evaluator.metrics.refcache import ReferenceStats
from evaluator.metrics.reference_side import ReferenceSide
from evaluator.metrics.references import References, art_reference_rows, reference_rows_by_style
from evaluator.metrics.resolution import MAX_METRIC_SIDE, metric_size, to_metric_input
from evaluator.metrics.runtime import Runtime, configure_runtime
from evaluator.metrics.scores import ScorerInfo, ScoreResult, ScoreState, compute_scores

__all__ = ["MAX_METRIC_SIDE", "MetricSuite", "ScoreResult", "ScoreState", "compute_scores", "metric_size",
           "to_metric_input"]

DEFAULT_BATCH_SIZE = 8


class MetricSuite(ReferenceSide):
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
            reference_rows=reference_rows_by_style(pairs, ref.style_names, held_out),
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
