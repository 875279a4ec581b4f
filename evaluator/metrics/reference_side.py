"""The reference side of the metric suite: per-dataset statistics, their cache key and the
batching both sides share.

``ReferenceSide`` is the half of ``MetricSuite`` that never sees an output: the Inception,
VGG and art-Inception features of a dataset's style, content and held-out reference images,
reduced once per dataset version (at publish time) and cached in ``refcache``. It reads the
suite's ``backbones`` and ``batch_size``; the output side lives in ``suite.py``.
"""
from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Iterator

import numpy as np
import torch

from evaluator.metrics import io
from evaluator.metrics import losses
from evaluator.metrics import refcache
from evaluator.metrics.backbones import Backbones
from evaluator.metrics.catalog import REFERENCE_PROTOCOL_CONDITIONING, REFERENCE_PROTOCOL_HELD_OUT, metric_versions
from evaluator.metrics.errors import ScoringError
from evaluator.metrics.fid import summarize
from evaluator.metrics.io import Pair
from evaluator.metrics.refcache import ReferenceStats
from evaluator.metrics.references import ReferenceImage, ReferenceSet, References, reference_set
from evaluator.metrics.resolution import to_metric_input
from evaluator.metrics.runtime import Runtime

# The published ArtFID runs at native size: at most this many pixels per forward pass.
ART_BATCH_PIXELS = 8 * 512 * 512


def _chunks(items: list, size: int) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


class ReferenceSide:
    """Reference statistics of a dataset on the suite's backbones (see the module docstring)."""

    backbones: Backbones
    runtime: Runtime
    batch_size: int

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
