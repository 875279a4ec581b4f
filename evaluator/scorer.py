"""Scorer identity: everything that determines a number, named by one short id.

Two scores are comparable only when the same scorer made them: the same metric definitions,
the same backbone networks (verified files, unverified files, or seeded networks, each named
by its digest), the same resolution policy and reference protocol. The id is a hash of those
components with a readable prefix (``calibrated-…`` or ``seeded-…``); a competition ranks
scores of its one current scorer, so installing weights or changing a definition makes a new
scorer whose scores never mix with the old ones until the organizer rescores and switches.

Standard library only: the worker computes it from its loaded suite, the CLI shows it.
"""
from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from evaluator.metrics.catalog import METRICS, RESOLUTION_POLICY, metric_versions
from evaluator.statistics.protocol import PROTOCOL as STATISTICS_PROTOCOL

# How FID/KID references are chosen; changes when the reference protocol changes. The rule:
# the held-out reference images of the styles the pairs use when the dataset version has them,
# else the distinct conditioning style images (each distinct image once either way); style_loss
# always compares with the conditioning image of each pair. A score records which applied
# (``ScoreResult.reference_protocol``).
REFERENCE_PROTOCOL = "held-out-references-else-conditioning-styles-2"
# How intervals are computed and ties ranked: method, resamples, seed, confidence, rank rule.
RANK_RULE = STATISTICS_PROTOCOL
# Bumped when the set of components or their encoding changes.
IDENTITY_SCHEME = "1"


class ScorerSource(Protocol):
    """What identifies a scorer: a loaded ``MetricSuite`` has all of it."""

    @property
    def calibrated(self) -> bool: ...

    @property
    def weight_hashes(self) -> dict[str, str]: ...


@dataclass(frozen=True)
class ScorerIdentity:
    """A scorer's id (stored as ``scorer_version``), its readable name and what it is made of."""

    id: str
    name: str
    components: dict[str, Any] = field(hash=False, compare=False)


def scorer_identity(metric_versions: Mapping[str, str], weight_hashes: Mapping[str, str],
                    calibrated: bool) -> ScorerIdentity:
    """The identity of a scorer with these metric versions and backbone weights."""
    components = {
        "scheme": IDENTITY_SCHEME,
        # The catalog's metrics only: a competition's optional metrics carry their versions on
        # their score rows (evaluator.metrics.optional_catalog), so choosing them changes no scorer.
        "metric_versions": dict(sorted((k, v) for k, v in metric_versions.items() if k in METRICS)),
        "weight_hashes": dict(sorted(weight_hashes.items())),
        "calibrated": bool(calibrated),
        "resolution_policy": RESOLUTION_POLICY,
        "reference_protocol": REFERENCE_PROTOCOL,
        "rank_rule": RANK_RULE,
    }
    digest = hashlib.sha256(json.dumps(components, sort_keys=True, separators=(",", ":")).encode()).hexdigest()
    kind = "calibrated" if calibrated else "seeded"
    name = ("verified backbone weights" if calibrated
            else "seeded backbones (uncalibrated: numbers are not comparable with published ones)")
    return ScorerIdentity(f"{kind}-{digest[:12]}", name, components)


def suite_identity(suite: ScorerSource) -> ScorerIdentity:
    """The identity of a loaded metric suite."""
    return scorer_identity(metric_versions(), suite.weight_hashes, suite.calibrated)


# What an organizer types for "the scorer the installed weights make".
INSTALLED = "installed"


def installed_identity(weights_dir) -> ScorerIdentity:
    """The scorer that the weights in ``weights_dir`` make (loads the backbones: torch, seconds)."""
    from evaluator.metrics.shared import shared_suite  # noqa: PLC0415 - torch only here

    folder = weights_dir if weights_dir is not None and weights_dir.is_dir() else None
    return suite_identity(shared_suite(folder))


def resolve_scorer(value: str | None, weights_dir) -> str | None:
    """``installed`` -> the installed weights' scorer id; anything else unchanged."""
    if value is not None and value.strip().lower() == INSTALLED:
        return installed_identity(weights_dir).id
    return value
