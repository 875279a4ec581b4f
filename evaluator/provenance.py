"""Where a score came from: the provenance recorded with every evaluation (ARCHITECTURE "Provenance").

Data, scorer, weights, sandbox and runtime image, platform version, worker host and harness
reports; built by ``evaluator.pipeline.evaluate`` from plain values, never an ORM row.
"""
from __future__ import annotations

import platform
from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING, Any

from evaluator.claim import Claim
from evaluator.metrics.per_style_sets import PROVENANCE_KEY as STYLE_SETS_KEY
from evaluator.public_split import PROVENANCE_KEY
from evaluator.scorer import scorer_identity

if TYPE_CHECKING:
    from evaluator.pipeline import EvaluationTask, RunOutcome


def platform_version() -> str:
    """The installed StyleArena version, recorded in every evaluation's provenance."""
    try:
        return version("stylearena")
    except PackageNotFoundError:
        return "unknown"


def provenance(
    task: EvaluationTask,
    claim: Claim,
    result: Any,
    hidden: RunOutcome | None,
    public: RunOutcome | None,
    worker_name: str,
) -> dict[str, Any]:
    """Where a score came from: data, scorer, weights, sandbox image, platform, worker, harness."""
    return {
        "dataset_version_id": task.dataset.id,
        "dataset_sha256": task.dataset.manifest_sha256,
        "public_dataset_sha256": task.public_dataset.manifest_sha256 if task.public_dataset else None,
        "scorer_version": task.scorer_version,
        "scorer_components": scorer_identity(result.metric_versions, result.weight_hashes, result.calibrated).components,
        "metric_versions": dict(result.metric_versions),
        "calibrated": bool(result.calibrated),
        # Always recorded, calibrated or not, so that a row can be traced to the network that made it.
        "weight_hashes": dict(result.weight_hashes),
        "n": int(result.n),
        # KID's spread over its subsets describes the estimator, not a confidence interval.
        "kid": {"spread": float(result.kid.std), "subset_size": int(result.kid.subset_size),
                "subsets": int(result.kid.subsets), "reliable": bool(result.kid.reliable)},
        "device": result.device,
        "deterministic": bool(result.deterministic),
        "sandbox_image_id": hidden.image_id if hidden else None,
        "runtime_image": hidden.runtime if hidden else {"recipe": task.runtime_image, "outputs_reused": True},
        "sandbox_limits": hidden.limits if hidden else None,
        "outputs_reused": hidden is None,
        "reference_protocol": result.reference_protocol,
        STYLE_SETS_KEY: result.per_style_sets,
        "n_references": int(result.n_references),
        "platform_version": platform_version(),
        "worker_host": platform.node(),
        "worker": worker_name,
        "attempt": claim.attempt,
        "harness_report": hidden.report if hidden else None,
        "public_harness_report": public.report if public else None,
        PROVENANCE_KEY: public.scores if public else None,
    }
