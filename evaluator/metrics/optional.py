"""The optional metrics a competition chose, computed per pair after the suite's own metrics.

``add_optional_metrics(suite, state, result, names, outputs_dir, style_dir)`` runs after
``MetricSuite.collect``/``compute`` (the outputs are already checked against the contract),
decodes each output once more in batches of one size, computes the chosen metrics
(``evaluator.metrics.extra``) and returns the result with them added: means in ``metrics``,
per-pair values in ``per_pair``, versions in ``metric_versions``. It also writes the per-pair
values into ``state.per_pair``, so the bootstrap (``evaluator.statistics.replicates``: a
per-pair mean for each optional metric) gives them intervals from the same resamples.

Resolution: SSIM, MS-SSIM, Gram loss, CFSD and grey LPIPS measure at the suite's policy
(``resolution.metric_size``: native, longest side capped at 512), output and content alike, style
images by the same rule on their own size; the colour histogram takes native images and
resizes as HistoGAN does (to 256×256 when either side is larger). Per-style quantities
(histograms, Gram matrices) are computed once per style image per run.

Diversity compares each output with the same pair's output of the harness's repeat pass (a
second seed, ``sandbox/harness/seeding.py``): ``repeat_dir`` holds those PNGs, already
validated like the outputs (``sandbox.validation.validate_repeat_outputs``). LPIPS as the
suite's (AlexNet v0.1, the 512-px policy, both images resized alike: they have one size).
"""
from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import torch

from evaluator.metrics import extra, io
from evaluator.metrics.errors import MetricComputationError
from evaluator.metrics.optional_catalog import NEEDS_REPEAT_RUN, OPTIONAL_METRICS, OptionalMetric
from evaluator.metrics.scores import ScoreResult, ScoreState
from evaluator.metrics.resolution import to_metric_input

if TYPE_CHECKING:
    from evaluator.metrics.suite import MetricSuite

RELU3_1 = 2  # index of relu3_1 among the VGG encoder's five taps (relu1_1 … relu5_1)
_VGG_METRICS = {OptionalMetric.GRAM_LOSS.value, OptionalMetric.CFSD.value}


def chosen(names: tuple[str, ...] | list[str]) -> list[str]:
    """``names`` in catalog order; raises ``bad_state`` for a name that is not an optional metric."""
    unknown = sorted(set(names) - set(OPTIONAL_METRICS))
    if unknown:
        raise MetricComputationError("bad_state", f"not optional metrics: {', '.join(unknown)}")
    return [name for name in OPTIONAL_METRICS if name in set(names)]


def add_optional_metrics(suite: MetricSuite, state: ScoreState, result: ScoreResult, names: tuple[str, ...] | list[str],
                         outputs_dir: Path, style_dir: Path, repeat_dir: Path | None = None) -> ScoreResult:
    """``result`` with the optional metrics ``names`` added (and their per-pair values in ``state``).

    ``repeat_dir``: the repeat pass's validated PNGs, needed by ``diversity`` (``NEEDS_REPEAT_RUN``).

    Raises:
        MetricComputationError: ``bad_state`` for an unknown name, or diversity without ``repeat_dir``.
        ScoringError / InvalidOutput: an input or output that cannot be read (already checked by ``collect``).
    """
    names = chosen(names)
    if not names:
        return result
    values = compute_optional(suite, state, names, Path(outputs_dir), Path(style_dir), repeat_dir)
    for pair_id, row in values.items():
        state.per_pair[pair_id].update(row)
    pairs = state.pairs
    metrics = dict(result.metrics)
    for name in names:
        metrics[name] = float(np.mean([values[p.pair_id][name] for p in pairs], dtype=np.float64))
    return replace(
        result,
        metrics=metrics,
        per_pair={p.pair_id: {**result.per_pair[p.pair_id], **values[p.pair_id]} for p in pairs},
        metric_versions={**result.metric_versions, **{n: OPTIONAL_METRICS[n].version for n in names}},
        timings={**result.timings, "optional_s": state.timings.get("optional_s", 0.0)},
    )


def compute_optional(suite: MetricSuite, state: ScoreState, names: list[str], outputs_dir: Path,
                     style_dir: Path, repeat_dir: Path | None = None) -> dict[str, dict[str, float]]:
    """Pair id -> optional metric -> value, for every pair of ``state``."""
    if set(NEEDS_REPEAT_RUN) & set(names) and repeat_dir is None:
        raise MetricComputationError("bad_state", "diversity needs the outputs of the harness's repeat pass "
                                                  "(run the generator with repeat_dir)")
    started = time.perf_counter()
    device = suite.runtime.device
    sizes = {p.pair_id: tuple(state.reference.content_sizes[p.content]) for p in state.pairs}
    by_id = {p.pair_id: p for p in state.pairs}
    per_style = _StyleCache(suite, style_dir)
    out: dict[str, dict[str, float]] = {}
    with torch.inference_mode():
        for group in suite._grouped(sorted(sizes), sizes):  # noqa: SLF001 - the suite's size batching
            pairs = [by_id[pair_id] for pair_id in group]
            outputs = torch.stack([io.decode_output(outputs_dir / f"{p.pair_id}.png", sizes[p.pair_id])
                                   for p in pairs]).to(device)
            distinct = {name: io.decode_reference(state.content_dir / name) for name in {p.content for p in pairs}}
            contents = torch.stack([distinct[p.content] for p in pairs]).to(device)
            columns = _batch_values(suite, names, pairs, outputs, contents, per_style)
            if OptionalMetric.DIVERSITY.value in names:
                repeats = torch.stack([io.decode_output(Path(repeat_dir) / f"{p.pair_id}.png", sizes[p.pair_id])
                                       for p in pairs]).to(device)
                columns[OptionalMetric.DIVERSITY.value] = diversity(suite, outputs, repeats)
            for row, pair in enumerate(pairs):
                out[pair.pair_id] = {name: float(columns[name][row]) for name in names}
    state.timings["optional_s"] = state.timings.get("optional_s", 0.0) + time.perf_counter() - started
    return out


def _batch_values(suite: MetricSuite, names: list[str], pairs: list, outputs_u8: torch.Tensor, contents_u8: torch.Tensor,
                  per_style: _StyleCache) -> dict[str, torch.Tensor]:
    """Each chosen metric's ``[B]`` values for one batch of one size."""
    outputs, contents = outputs_u8.float().div(255), contents_u8.float().div(255)  # torchvision's ToTensor
    out_m, cnt_m = to_metric_input(outputs), to_metric_input(contents)
    values: dict[str, torch.Tensor] = {}
    if OptionalMetric.SSIM.value in names:
        values[OptionalMetric.SSIM.value] = extra.ssim(out_m, cnt_m)
    if OptionalMetric.MS_SSIM.value in names:
        values[OptionalMetric.MS_SSIM.value] = extra.ms_ssim(out_m, cnt_m)
    if OptionalMetric.COLOUR_HISTOGRAM.value in names:
        targets = torch.cat([per_style.histogram(p.style) for p in pairs])
        values[OptionalMetric.COLOUR_HISTOGRAM.value] = extra.histogram_distance(extra.rgb_uv_histogram(outputs), targets)
    if _VGG_METRICS & set(names):
        taps = suite.backbones.vgg(out_m)
        if OptionalMetric.GRAM_LOSS.value in names:
            grams = [torch.cat(layer) for layer in zip(*(per_style.grams(p.style) for p in pairs))]
            values[OptionalMetric.GRAM_LOSS.value] = extra.gram_loss(taps, grams)
        if OptionalMetric.CFSD.value in names:
            content_feat = suite.backbones.vgg(cnt_m)[RELU3_1]
            values[OptionalMetric.CFSD.value] = extra.cfsd(taps[RELU3_1], content_feat)
    if OptionalMetric.LPIPS_GREY.value in names:
        lpips = suite.backbones.lpips
        grey_out = to_metric_input(extra.grey_uint8(outputs_u8).float().div(255))
        grey_cnt = to_metric_input(extra.grey_uint8(contents_u8).float().div(255))
        values[OptionalMetric.LPIPS_GREY.value] = lpips.distance(lpips.features(grey_out), lpips.features(grey_cnt))
    return {name: values[name].detach().double().cpu() for name in names if name in values}


def diversity(suite: MetricSuite, outputs_u8: torch.Tensor, repeats_u8: torch.Tensor) -> torch.Tensor:
    """``[B]`` LPIPS between each output and its repeat-pass output (uint8 ``[B,3,H,W]``, one size).

    A pair whose two outputs are the same pixels is exactly 0.0 (a deterministic generator),
    whatever the forward passes' rounding.
    """
    lpips = suite.backbones.lpips
    first = lpips.features(to_metric_input(outputs_u8.float().div(255)))
    second = lpips.features(to_metric_input(repeats_u8.float().div(255)))
    values = lpips.distance(first, second).detach().double().cpu()
    identical = (outputs_u8 == repeats_u8).flatten(1).all(dim=1).cpu()
    return torch.where(identical, torch.zeros_like(values), values)


class _StyleCache:
    """Per style image, computed once per run: its RGB-uv histogram and its VGG Gram matrices."""

    def __init__(self, suite: MetricSuite, style_dir: Path) -> None:
        self.suite = suite
        self.style_dir = style_dir
        self._images: dict[str, torch.Tensor] = {}
        self._hists: dict[str, torch.Tensor] = {}
        self._grams: dict[str, list[torch.Tensor]] = {}

    def _image(self, name: str) -> torch.Tensor:
        if name not in self._images:
            decoded = io.decode_reference(self.style_dir / name)[None].to(self.suite.runtime.device)
            self._images[name] = decoded.float().div(255)
        return self._images[name]

    def histogram(self, name: str) -> torch.Tensor:
        """``[1, 3, 64, 64]`` float64 RGB-uv histogram of the style image at native size."""
        if name not in self._hists:
            self._hists[name] = extra.rgb_uv_histogram(self._image(name))
        return self._hists[name]

    def grams(self, name: str) -> list[torch.Tensor]:
        """Its ``[1, C, C]`` Gram matrix per VGG tap, measured under the resolution policy."""
        if name not in self._grams:
            taps = self.suite.backbones.vgg(to_metric_input(self._image(name)))
            self._grams[name] = [extra.gram(t) for t in taps]
        return self._grams[name]
