"""Measured cost of board entries (``EvaluationEfficiency``): looked up, labelled and exported.

The figures are one run's measurements on shared hardware (``sandbox.efficiency``): they are
shown with their spread (p95 / median) and the limits they ran under, and never ranked by
default. Only the evaluation on the competition's current target is read, as for scores.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from arena.core.enums import EvaluationStatus
from arena.core.models import Competition, Evaluation, EvaluationEfficiency
from arena.core.target import EvaluationTarget

# Optional board columns (never the default sort): name -> (label, unit, attribute).
BOARD_COLUMNS = {
    "latency": ("Latency (median)", "ms", "latency_median_ms"),
    "throughput": ("Throughput", "img/s", "throughput_ips"),
    "memory": ("Peak memory", "MB", "peak_rss_mb"),
    "parameters": ("Parameters", "", "parameter_count"),
}


@dataclass(frozen=True)
class Limits:
    """What a run's figures may be compared under: the same device, CPUs and memory."""

    device: str
    cpus: float
    memory_mb: int

    @property
    def label(self) -> str:
        return f"{self.device.upper()} · {self.cpus:g} CPU{'s' if self.cpus != 1 else ''} · {self.memory_mb} MB"


def limits_of(row: EvaluationEfficiency) -> Limits:
    return Limits(row.device, float(row.cpus), int(row.memory_mb))


def spread(row: EvaluationEfficiency) -> float | None:
    """p95 / median of the per-image latency (1.0: every image took the same time)."""
    return row.latency_p95_ms / row.latency_median_ms if row.latency_median_ms else None


def for_submissions(session: Session, competition: Competition,
                    submission_ids: Iterable[int]) -> dict[int, EvaluationEfficiency]:
    """Submission id -> the measured cost of its evaluation on the current target (scored ones only)."""
    ids = list(set(submission_ids))
    if not ids:
        return {}
    rows = session.execute(
        sa.select(Evaluation.submission_id, EvaluationEfficiency)
        .join(EvaluationEfficiency, EvaluationEfficiency.evaluation_id == Evaluation.id)
        .where(Evaluation.submission_id.in_(ids), Evaluation.status == EvaluationStatus.SCORED,
               EvaluationTarget.of(competition).condition())
    ).all()
    return {submission_id: row for submission_id, row in rows}


def for_evaluation(session: Session, evaluation_id: int | None) -> EvaluationEfficiency | None:
    return session.get(EvaluationEfficiency, evaluation_id) if evaluation_id is not None else None


def to_json(row: EvaluationEfficiency | None) -> dict[str, Any] | None:
    """The figures as the API and exports give them (None: not measured)."""
    if row is None:
        return None
    ratio = spread(row)
    return {
        "latency_median_ms": row.latency_median_ms, "latency_p95_ms": row.latency_p95_ms,
        "spread_p95_over_median": round(ratio, 2) if ratio is not None else None,
        "throughput_images_per_s": row.throughput_ips, "batch_size": row.batch_size,
        "timed_pairs": row.timed_pairs, "warmup_pairs": row.warmup_pairs, "load_s": row.load_s,
        "peak_rss_mb": row.peak_rss_mb, "peak_device_mb": row.peak_device_mb,
        "parameter_count": row.parameter_count, "parameter_bytes": row.parameter_bytes,
        "parameter_source": row.parameter_source, "size_bytes": row.size_bytes, "run_s": row.run_s,
        "limits": {"device": row.device, "cpus": row.cpus, "memory_mb": row.memory_mb},
    }


# CSV columns of an export row (``csv_cells``), after the board's own.
CSV_COLUMNS = ("latency_median_ms", "latency_p95_ms", "throughput_ips", "batch_size", "peak_rss_mb",
               "peak_device_mb", "load_s", "parameter_count", "parameter_source", "size_bytes", "device", "cpus",
               "memory_mb")


def csv_cells(row: EvaluationEfficiency | None) -> list[Any]:
    if row is None:
        return [""] * len(CSV_COLUMNS)
    return ["" if getattr(row, name) is None else getattr(row, name) for name in CSV_COLUMNS]


def compact_count(value: int | None) -> str:
    """12345678 -> '12.3M' (parameter counts on narrow columns)."""
    if value is None:
        return "—"
    for unit, size in (("B", 10**9), ("M", 10**6), ("k", 10**3)):
        if value >= size:
            return f"{value / size:.3g}{unit}"
    return str(value)
