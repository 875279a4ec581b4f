"""The metrics engine: FID, KID, LPIPS, content/style loss and ArtFID of style-transfer outputs.

Public interface (see docs/CONTRACTS.md and this package's README.md)::

    suite = MetricSuite.load(weights_dir, device=None)      # once per process
    result = suite.score(pairs, outputs_dir, content_dir, style_dir, cache_dir, dataset_key)
    suite.reference_stats(pairs, content_dir, style_dir, cache_dir, dataset_key)  # at publish
"""
from __future__ import annotations

from evaluator.metrics.definitions import METRICS, PER_PAIR_METRICS, MetricInfo, MetricName, metric_versions
from evaluator.metrics.errors import (
    BackboneWeightsError,
    FrechetDistanceError,
    MetricComputationError,
    MetricsError,
    ScoringError,
)
from evaluator.metrics.io import Pair, read_pairs_csv
from evaluator.metrics.suite import MetricSuite, ScoreResult

__all__ = [
    "METRICS",
    "PER_PAIR_METRICS",
    "BackboneWeightsError",
    "FrechetDistanceError",
    "MetricComputationError",
    "MetricInfo",
    "MetricName",
    "MetricSuite",
    "MetricsError",
    "Pair",
    "ScoreResult",
    "ScoringError",
    "metric_versions",
    "read_pairs_csv",
]
