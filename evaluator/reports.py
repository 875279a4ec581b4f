"""What of a sandbox run's report and measurements the platform keeps (whole-run figures only).

The harness report is written where the generator can overwrite it, so only known keys with
plain values survive here; the cost figures were already checked against the host's own
facts by ``sandbox.efficiency``.
"""
from __future__ import annotations

import math
import re
from typing import Any

import sqlalchemy as sa

from arena.core.models import EvaluationEfficiency
from sandbox.efficiency import Efficiency

# Whole-run figures of the harness report worth keeping. The report is written where the
# generator can overwrite it, so only these keys survive: finite numbers, and text only when it
# is one of a few known values (free text could carry hidden data into provenance).
_REPORT_NUMBERS = ("total_s", "load_s", "peak_rss_mb", "peak_cuda_mb", "pairs_written", "parameter_count")
_REPORT_TEXT = {
    "device": re.compile(r"cpu|cuda(:\d{1,2})?"),
    "format": re.compile(r"torchscript|export|package"),
    "status": re.compile(r"ok|error"),
    "torch_version": re.compile(r"\d{1,2}\.\d{1,2}\.\d{1,2}(\+cpu|\+cu\d{2,3})?"),
}


def report_summary(report: Any) -> dict[str, Any]:
    """The trustworthy whole-run part of a harness report (never per-image figures or free text)."""
    if not isinstance(report, dict):
        return {}
    summary: dict[str, Any] = {}
    for key in _REPORT_NUMBERS:
        value = report.get(key)
        if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
            summary[key] = value
    for key, allowed in _REPORT_TEXT.items():
        value = report.get(key)
        if isinstance(value, str) and allowed.fullmatch(value):
            summary[key] = value
    return summary


def efficiency_row(efficiency: Efficiency | None) -> dict[str, Any] | None:
    """The ``EvaluationEfficiency`` columns of a hidden run's measurements (None: not measured)."""
    return efficiency.as_row() if isinstance(efficiency, Efficiency) else None


def stored_efficiency(row: EvaluationEfficiency | None) -> dict[str, Any] | None:
    """A stored run's cost as columns again: a scorer-only rescore reuses the run's outputs, so its cost too."""
    if row is None:
        return None
    return {c.key: getattr(row, c.key) for c in sa.inspect(EvaluationEfficiency).columns if c.key != "evaluation_id"}
