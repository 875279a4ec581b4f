"""The public-split score: the metrics of a run's outputs on the public dev set.

One function, called by the pipeline on the smoke run's outputs and by ``stylearena check``
on the participant's own run, so both give the same numbers for the same outputs and scorer
(``tests/evaluator/test_public_split_score.py``). The dev set is public, so this score is
too: it is stored in the evaluation's provenance under ``PROVENANCE_KEY`` and shown on the
submission's pages beside the hidden score. It never ranks anything.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from arena.core.imageset import CONTENT_DIR, PAIRS_NAME, STYLE_DIR

PROVENANCE_KEY = "public_scores"


def score_public_split(scorer: Any, inputs_dir: Path, outputs_dir: Path, references: dict[str, list[Path]] | None,
                       cache_dir: Path | None = None, dataset_key: str | None = None) -> dict[str, Any]:
    """Score validated outputs of the public split; a JSON-ready dict (metrics at full precision).

    Args:
        scorer: a ``MetricSuite`` (``score(pairs, outputs, content, style, cache_dir, dataset_key, references=)``).
        inputs_dir: the image set the generator saw (content/, style/, pairs.csv).
        references: style file -> its held-out references (None: FID/KID against the style images).
    """
    from evaluator.metrics.io import read_pairs_csv  # noqa: PLC0415 - torch only where scoring runs

    inputs_dir = Path(inputs_dir)
    result = scorer.score(read_pairs_csv(inputs_dir / PAIRS_NAME), Path(outputs_dir), inputs_dir / CONTENT_DIR,
                          inputs_dir / STYLE_DIR, cache_dir=cache_dir, dataset_key=dataset_key, references=references)
    return {
        "metrics": {name: float(value) for name, value in sorted(result.metrics.items())},
        "metric_versions": {name: str(v) for name, v in sorted(result.metric_versions.items())},
        "calibrated": bool(result.calibrated),
        "n": int(result.n),
        "n_references": int(result.n_references),
        "reference_protocol": str(result.reference_protocol),
        # Per-pair values of the public pairs (the compare view shows them; the dev set is public).
        "per_pair": {pair: {name: float(v) for name, v in sorted(values.items())}
                     for pair, values in sorted(result.per_pair.items())},
    }


def references_of_dev_set(root: Path) -> dict[str, list[Path]] | None:
    """Style file -> held-out references, from an unpacked dev-set download (``manifest.json``)."""
    manifest_path = Path(root) / "manifest.json"
    if not manifest_path.is_file():
        return None
    entries = json.loads(manifest_path.read_text(encoding="utf-8")).get("references") or []
    if not entries:
        return None
    by_style: dict[str, list[Path]] = {}
    for entry in entries:
        by_style.setdefault(entry["style"], []).append(Path(root) / "references" / entry["file"])
    return by_style


def score_or_reason(scorer: Any, inputs_dir: Path, outputs_dir: Path, references: dict[str, list[Path]] | None,
                    cache_dir: Path | None = None, dataset_key: str | None = None) -> dict[str, Any]:
    """``score_public_split``, or ``{"unavailable": reason}`` when the dev set cannot be scored.

    A dev set too small for a metric (FID/KID need two outputs) must not fail an evaluation
    whose hidden split scores; the reason is shown instead of numbers.
    """
    from evaluator.metrics.errors import MetricsError  # noqa: PLC0415

    try:
        return score_public_split(scorer, inputs_dir, outputs_dir, references, cache_dir, dataset_key)
    except MetricsError as exc:
        return {"unavailable": f"[{exc.code}] {exc.message}"}
