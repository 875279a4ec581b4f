"""A run's cost figures, from the harness's report checked against what the host measured itself.

The harness times the generator's calls (``efficiency`` in ``harness/harness.py``): per-image
latency after a warm-up batch (median and p95), throughput, peak memory, load time and the
parameter count. ``report.json`` is participant-writable, so these are claims: they are
typed and bounded by ``streams.parse_report`` and then checked here against what the host
knows for sure (its own wall clock, the run's limits, the number of outputs, the upload's
size on disk). Figures that cannot be true are dropped as a whole (``None``): they are
informational and never fail a run.

They are whole-run aggregates only, and stored at ``SIGNIFICANT_DIGITS``: a generator can
still steer them (as it steers its scores), and the coarse rounding bounds what a hidden
run could say through them to a few bits per figure (``sandbox/README.md``).
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

from arena.core.limits import SandboxLimits

SIGNIFICANT_DIGITS = 3
PARAMETER_SOURCES = ("exact", "declared", "counted")
_MAX_COUNT = 2**48  # parameters or bytes: far beyond any upload the platform accepts
_RSS_SLACK = 1.05  # VmHWM rounds pages up; the cgroup would have killed anything above


@dataclass(frozen=True)
class Efficiency:
    """The cost of one run, with the limits it ran under (compare only runs with equal limits)."""

    latency_median_ms: float
    latency_p95_ms: float
    throughput_ips: float | None
    batch_size: int
    timed_pairs: int
    warmup_pairs: int
    load_s: float | None
    peak_rss_mb: float | None
    peak_device_mb: float | None
    parameter_count: int | None
    parameter_bytes: int | None
    parameter_source: str | None
    size_bytes: int
    run_s: float
    device: str
    cpus: float
    memory_mb: int

    @property
    def spread(self) -> float | None:
        """p95 / median: how steady the run was (1.0 = every image took the same time)."""
        return self.latency_p95_ms / self.latency_median_ms if self.latency_median_ms > 0 else None

    def as_row(self) -> dict[str, Any]:
        """The columns of ``EvaluationEfficiency`` (plain values)."""
        return asdict(self)


def significant(value: float | None, digits: int = SIGNIFICANT_DIGITS) -> float | None:
    """``value`` rounded to ``digits`` significant digits (None and 0 pass)."""
    if value is None or value == 0:
        return value
    return round(value, digits - 1 - math.floor(math.log10(abs(value))))


def efficiency_of(report: dict[str, Any], limits: SandboxLimits, run_s: float, outputs: int,
                  size_bytes: int) -> Efficiency | None:
    """The run's figures, or None when the report has none or they contradict the host's own facts.

    Args:
        report: the parsed report (``streams.parse_report``: known keys, right types).
        limits: the run's limits (the device type, CPUs and memory are the host's, not the report's).
        run_s: the host's wall clock for the whole run; no figure can exceed it.
        outputs: the number of outputs collected; the timed and warm-up pairs must add up to it.
        size_bytes: the upload's size on disk.
    """
    block = report.get("efficiency")
    if not isinstance(block, dict) or "latency_median_ms" not in block or run_s <= 0:
        return None
    median, p95 = float(block["latency_median_ms"]), float(block.get("latency_p95_ms", -1))
    timed, warmup = int(block.get("timed_pairs", 0)), int(block.get("warmup_pairs", 0))
    throughput = block.get("throughput_ips")
    batch_size = report.get("batch_size")
    checks = (
        0 <= median <= p95 <= 1000 * run_s,
        timed >= 1 and timed + warmup == outputs == report.get("pairs_written"),
        isinstance(batch_size, int) and 1 <= batch_size <= 64,
        # At least half the timed images took the median or longer, all inside the run.
        median * (timed // 2 + timed % 2) <= 1000 * run_s,
        throughput is None or (throughput > 0 and timed / throughput <= run_s),
        _within(report.get("load_s"), 0, run_s),
        _within(report.get("peak_rss_mb"), 0, limits.memory_mb * _RSS_SLACK),
        _within(report.get("peak_cuda_mb"), 0, _MAX_COUNT),
        _within(report.get("parameter_count"), 0, _MAX_COUNT),
        _within(block.get("parameter_bytes"), 0, _MAX_COUNT),
        block.get("parameter_source") in (None, *PARAMETER_SOURCES),
    )
    if not all(checks):
        return None
    source = block.get("parameter_source")
    return Efficiency(
        latency_median_ms=significant(median), latency_p95_ms=significant(p95),
        throughput_ips=significant(float(throughput)) if throughput is not None else None,
        batch_size=batch_size, timed_pairs=timed, warmup_pairs=warmup,
        load_s=significant(_float(report.get("load_s"))), peak_rss_mb=significant(_float(report.get("peak_rss_mb"))),
        peak_device_mb=significant(_float(report.get("peak_cuda_mb"))) if limits.use_gpu else None,
        parameter_count=report.get("parameter_count") if source else None,
        parameter_bytes=block.get("parameter_bytes") if source in ("exact", "counted") else None,
        parameter_source=source,
        size_bytes=int(size_bytes), run_s=significant(run_s),
        device="cuda" if limits.use_gpu else "cpu", cpus=float(limits.cpus), memory_mb=int(limits.memory_mb),
    )


def _within(value: Any, low: float, high: float) -> bool:
    """Absent, or a number in [low, high] (the types were checked by ``parse_report``)."""
    return value is None or low <= value <= high


def _float(value: Any) -> float | None:
    return float(value) if value is not None else None
