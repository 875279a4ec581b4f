"""Per-style FID and KID: the set metrics on one style's outputs against that style's references.

Computed in the worker from the scoring run's cached state (no image is read again): a style's
outputs are the Inception features of its pairs in ``state.pairs``, its references the rows
``state.reference_rows[style]`` of ``state.reference.fid_features`` (the style's held-out
references; under the conditioning protocol its one conditioning image, never enough). On a
version split into boards the caller passes the public part's state
(``evaluator.board_parts.restricted``), so no private pair ever reaches a page.

Thresholds (both sides: outputs of the style *and* its references):

- FID needs ``FID_MIN_IMAGES`` = 100. Each side's 2048 × 2048 covariance is estimated from n
  images, so it has rank n − 1: with tens of images FID sees a thin sketch of each
  distribution, and its bias (about tr Σ₁/n₁ + tr Σ₂/n₂ plus the trace-root term's) is large and
  depends on the generator (Chong & Forsyth, "Effectively Unbiased FID", 2020), so two entries
  can be ordered by their bias rather than their quality. In a seeded simulation (2048-d
  Gaussian features with a 1/k spectrum, two generators a small mean shift apart) FID put them
  in the right order 50 % of the time at n = 10, 85 % at 20, 95 % at 50 and 100 % from 100 on;
  100 is where it stops being a coin toss at differences entries actually have. Even then a
  per-style FID is comparable only with other entries' FID on the same style (same n), never
  with the board's FID.
- KID needs ``KID_MIN_IMAGES`` = 20. Its MMD² estimate is unbiased at any n, so small sets make
  it noisy, not skewed; in the same simulation it ordered the two generators right 90 % of the
  time at 20 and always from 50 on. Below 20 the noise swamps the differences.

The values are stored in the evaluation's provenance under ``PROVENANCE_KEY`` (the JSON form of
``to_json``), keyed by style file name: provenance is shown to organizers only, and the web maps
names to the numbered labels a hidden set's styles get. Numpy only (the web reads ``from_json``).
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from enum import Enum
from typing import TYPE_CHECKING, Any

import numpy as np

from evaluator.metrics.catalog import FID_VERSION, KID_VERSION
from evaluator.metrics.errors import FrechetDistanceError
from evaluator.metrics.fid import frechet_distance, summarize
from evaluator.metrics.kid import kernel_inception_distance

if TYPE_CHECKING:
    from evaluator.metrics.scores import ScoreState

FID_MIN_IMAGES = 100
KID_MIN_IMAGES = 20
PROVENANCE_KEY = "per_style_sets"
FORMAT = "per-style-sets-1"


class SetStatus(str, Enum):
    """Why a style's set metric has a value or not."""

    OK = "ok"
    FEW_REFERENCES = "few_references"  # the style has fewer references than the threshold
    FEW_OUTPUTS = "few_outputs"  # enough references, but fewer of the style's outputs
    NUMERICS = "numerics"  # the FID's trace check refused (degenerate features)


@dataclass(frozen=True)
class SetValue:
    """One set metric of one style: its value (None unless ``status`` is OK)."""

    value: float | None
    status: SetStatus


@dataclass(frozen=True)
class StyleSets:
    """Per-style FID and KID of one style, with the sizes they were computed on."""

    n_outputs: int
    n_references: int
    fid: SetValue
    kid: SetValue


def _gate(n_outputs: int, n_references: int, minimum: int) -> SetStatus:
    if n_references < minimum:
        return SetStatus.FEW_REFERENCES
    if n_outputs < minimum:
        return SetStatus.FEW_OUTPUTS
    return SetStatus.OK


def style_set_metrics(state: ScoreState, fid_min: int = FID_MIN_IMAGES,
                      kid_min: int = KID_MIN_IMAGES) -> dict[str, StyleSets]:
    """Per style of ``state.pairs``, its FID and KID where it has enough images (see module doc).

    Args:
        state: a complete scoring state (the public part's on a split version).
        fid_min, kid_min: the thresholds, on outputs and references alike (at least 2).

    Returns:
        style file name -> ``StyleSets``, in name order.
    """
    if fid_min < 2 or kid_min < 2:
        raise ValueError("FID and KID need at least 2 images per set")
    references = np.asarray(state.reference.fid_features)
    by_style: dict[str, list[str]] = {}
    for pair in state.pairs:
        by_style.setdefault(pair.style, []).append(pair.pair_id)
    out: dict[str, StyleSets] = {}
    for style in sorted(by_style):
        ids = by_style[style]
        rows = state.reference_rows.get(style, ())
        n_out, n_ref = len(ids), len(rows)
        fid_status, kid_status = _gate(n_out, n_ref, fid_min), _gate(n_out, n_ref, kid_min)
        outputs = np.stack([state.inception[pair_id] for pair_id in ids]) if SetStatus.OK in (fid_status, kid_status) else None
        refs = references[list(rows)] if outputs is not None else None
        fid = SetValue(None, fid_status)
        if fid_status is SetStatus.OK:
            try:
                fid = SetValue(frechet_distance(summarize(outputs), summarize(refs)), SetStatus.OK)
            except FrechetDistanceError:
                # One style's degenerate outputs (e.g. all identical) must not fail the whole score.
                fid = SetValue(None, SetStatus.NUMERICS)
        kid = SetValue(None, kid_status)
        if kid_status is SetStatus.OK:
            kid = SetValue(kernel_inception_distance(outputs, refs).mean, SetStatus.OK)
        out[style] = StyleSets(n_out, n_ref, fid, kid)
    return out


def to_json(values: dict[str, StyleSets], fid_min: int = FID_MIN_IMAGES, kid_min: int = KID_MIN_IMAGES) -> dict[str, Any]:
    """The provenance form: thresholds, definition versions and per style its sizes and values."""
    return {
        "format": FORMAT,
        "thresholds": {"fid": fid_min, "kid": kid_min},
        "versions": {"fid": FID_VERSION, "kid": KID_VERSION},
        "styles": {style: {"n_outputs": v.n_outputs, "n_references": v.n_references,
                           "fid": v.fid.value, "fid_status": v.fid.status.value,
                           "kid": v.kid.value, "kid_status": v.kid.status.value}
                   for style, v in values.items()},
    }


def from_json(data: Any) -> dict[str, StyleSets] | None:
    """The per-style values of a provenance entry; None when absent or of another format."""
    if not isinstance(data, dict) or data.get("format") != FORMAT or not isinstance(data.get("styles"), dict):
        return None

    def one(entry: dict, name: str) -> SetValue:
        status = SetStatus(entry.get(f"{name}_status", SetStatus.FEW_REFERENCES.value))
        value = entry.get(name)
        return SetValue(float(value) if value is not None and status is SetStatus.OK else None, status)

    return {style: StyleSets(int(e["n_outputs"]), int(e["n_references"]), one(e, "fid"), one(e, "kid"))
            for style, e in data["styles"].items()}


def with_style_sets(result: Any, state: ScoreState) -> Any:
    """``result`` (a ``ScoreResult``) carrying the per-style FID/KID of ``state`` in provenance form."""
    # The module's thresholds read at call time (a test may lower them to reach small sets).
    fid_min, kid_min = FID_MIN_IMAGES, KID_MIN_IMAGES
    return replace(result, per_style_sets=to_json(style_set_metrics(state, fid_min, kid_min), fid_min, kid_min))
