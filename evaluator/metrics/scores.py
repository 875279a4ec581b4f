"""The two halves of scoring, as torchmetrics shapes a metric: accumulated state, pure compute.

``ScoreState`` is what ``MetricSuite.update`` accumulates batch by batch: the reference
statistics the run compares against, and per output its Inception features (ImageNet and
art), per-pair values and native-resolution LPIPS. ``compute_scores`` turns a complete state into a ``ScoreResult`` and does nothing
else: no network, no file, no torch; the same state always gives the same numbers (FID and
KID read the features in the order of ``pairs``, whatever order the batches came in).
"""
from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from evaluator.metrics.catalog import (
    PER_PAIR_METRICS,
    REFERENCE_PROTOCOL_CONDITIONING,
    MetricName,
    metric_versions,
)
from evaluator.metrics.artfid import ArtFidResult, art_fid
from evaluator.metrics.errors import MetricComputationError
from evaluator.metrics.fid import frechet_distance, summarize
from evaluator.metrics.kid import KidResult, kernel_inception_distance
from evaluator.metrics.refcache import ReferenceStats

if TYPE_CHECKING:
    from evaluator.metrics.io import Pair


@dataclass(frozen=True)
class ScorerInfo:
    """What a score must say about the suite that made it (fixed for the suite's lifetime)."""

    calibrated: bool
    weight_hashes: dict[str, str]
    device: str
    deterministic: bool


@dataclass
class ScoreState:
    """The declared state of one scoring run: everything ``compute_scores`` reads.

    Made by ``MetricSuite.start`` (reference side resolved), filled by ``MetricSuite.update``
    (one ``add`` per batch of outputs), read by ``compute_scores``.
    """

    pairs: tuple[Pair, ...]
    reference: ReferenceStats
    scorer: ScorerInfo
    content_dir: Path
    # Published ArtFID: per pair (in ``pairs`` order), its row in ``reference.art_inception``.
    art_rows: tuple[int, ...] = ()
    # Per style the pairs use, its rows in ``reference.fid_features`` (per-style FID/KID).
    reference_rows: dict[str, tuple[int, ...]] = field(default_factory=dict)
    cache_hit: bool = False
    inception: dict[str, np.ndarray] = field(default_factory=dict)  # pair id -> [2048] float64
    art_inception: dict[str, np.ndarray] = field(default_factory=dict)  # pair id -> [2048] float64, native size
    content_distance: dict[str, float] = field(default_factory=dict)  # pair id -> LPIPS at native size
    per_pair: dict[str, dict[str, float]] = field(default_factory=dict)  # pair id -> metric -> value
    timings: dict[str, float] = field(default_factory=dict)
    _pair_ids: frozenset[str] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._pair_ids = frozenset(pair.pair_id for pair in self.pairs)

    def check_new(self, pair_ids: list[str]) -> None:
        """Raise ``bad_state`` unless every id is one of this run's pairs, not yet added, once.

        Raises:
            MetricComputationError: ``bad_state`` (a caller's bug, never the participant's).
        """
        seen: set[str] = set()
        for pair_id in pair_ids:
            if pair_id not in self._pair_ids:
                raise MetricComputationError("bad_state", f"pair {pair_id!r} is not one of this run's pairs")
            if pair_id in self.inception or pair_id in seen:
                raise MetricComputationError("bad_state", f"pair {pair_id!r} was already added")
            seen.add(pair_id)

    def add(self, pair_id: str, inception: np.ndarray, values: dict[str, float], art_inception: np.ndarray,
            content_distance: float) -> None:
        """Record one output's Inception features (ImageNet and art), per-pair values and native LPIPS.

        Raises:
            MetricComputationError: ``bad_state`` for a pair not in this run or added twice.
        """
        self.check_new([pair_id])
        self.inception[pair_id] = np.asarray(inception, dtype=np.float64)
        self.art_inception[pair_id] = np.asarray(art_inception, dtype=np.float64)
        self.content_distance[pair_id] = float(content_distance)
        self.per_pair[pair_id] = {name: float(values[name]) for name in PER_PAIR_METRICS}

    def missing(self) -> list[str]:
        """Pair ids not yet added, in pair order."""
        return [pair.pair_id for pair in self.pairs if pair.pair_id not in self.inception]


@dataclass(frozen=True)
class ScoreResult:
    """Scores of one set of outputs, with the provenance needed to trust and compare them.

    ``kid`` carries KID's subset spread and its ``reliable`` flag: the spread is not a
    confidence interval (see ``evaluator.metrics.kid``). ``reference_protocol`` says what FID
    and KID compared the outputs with (``held-out-references`` or ``conditioning-styles``),
    ``n_references`` how many distinct images that was; ``n_styles`` counts the distinct
    conditioning style images of the pairs.
    """

    metrics: dict[str, float]
    per_pair: dict[str, dict[str, float]]
    kid: KidResult
    n: int
    n_styles: int
    calibrated: bool
    weight_hashes: dict[str, str]
    metric_versions: dict[str, str]
    device: str
    deterministic: bool
    cache_hit: bool = False
    timings: dict[str, float] = field(default_factory=dict)
    reference_protocol: str = REFERENCE_PROTOCOL_CONDITIONING
    n_references: int = 0
    art_fid: ArtFidResult | None = None  # the published ArtFID's parts and estimator
    # Per-style FID/KID in their provenance form (``evaluator.metrics.per_style_sets``), set by the worker.
    per_style_sets: dict | None = None

    @property
    def kid_std(self) -> float:
        """Deprecated alias of ``kid.std`` (the spread over subsets, not an interval)."""
        return self.kid.std

    def to_json(self) -> dict:
        """A JSON-serialisable dict (what ``stylearena score --json`` prints)."""
        return asdict(self)


def compute_scores(state: ScoreState) -> ScoreResult:
    """Every metric from a complete state (pure: reads ``state`` only).

    Raises:
        MetricComputationError: ``bad_state`` when some pair was never added.
        FrechetDistanceError: the FID's numerics check failed.
    """
    started = time.perf_counter()
    missing = state.missing()
    if missing:
        raise MetricComputationError(
            "bad_state", f"{len(missing)} pair(s) were never scored, first {missing[0]!r}"
        )
    pairs = state.pairs
    ref = state.reference
    if len(state.art_rows) != len(pairs):
        raise MetricComputationError("bad_state", "the state has no art-Inception reference row for every pair")
    output_features = np.stack([state.inception[pair.pair_id] for pair in pairs])
    reference_features = ref.fid_features
    fid = frechet_distance(summarize(output_features), ref.fid)
    kid = kernel_inception_distance(output_features, reference_features)
    metrics = {
        name: float(np.mean([state.per_pair[p.pair_id][name] for p in pairs], dtype=np.float64))
        for name in PER_PAIR_METRICS
    }
    metrics[MetricName.FID.value] = fid
    metrics[MetricName.KID.value] = kid.mean
    metrics[MetricName.ART_FID_DISTINCT.value] = (1.0 + metrics[MetricName.LPIPS.value]) * (1.0 + fid)
    published = art_fid(
        np.stack([state.art_inception[pair.pair_id] for pair in pairs]),
        np.asarray(ref.art_inception)[list(state.art_rows)],
        [state.content_distance[pair.pair_id] for pair in pairs],
        n_distinct_references=len(set(state.art_rows)),
    )
    metrics[MetricName.ART_FID.value] = published.value
    timings = dict(state.timings)
    timings["distances_s"] = time.perf_counter() - started
    timings["total_s"] = sum(timings.get(key, 0.0) for key in ("reference_s", "features_s", "distances_s"))
    return ScoreResult(
        metrics={name: metrics[name] for name in (m.value for m in MetricName)},
        per_pair={pair.pair_id: dict(state.per_pair[pair.pair_id]) for pair in pairs},
        kid=kid,
        n=len(pairs),
        n_styles=len(ref.style_names),
        calibrated=state.scorer.calibrated,
        weight_hashes=dict(state.scorer.weight_hashes),
        metric_versions=metric_versions(),
        device=state.scorer.device,
        deterministic=state.scorer.deterministic,
        cache_hit=state.cache_hit,
        timings=timings,
        reference_protocol=ref.protocol,
        n_references=len(reference_features),
        art_fid=published,
    )
