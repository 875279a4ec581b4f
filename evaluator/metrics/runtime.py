"""Device choice, thread count and determinism flags for the scorer.

Called once when a ``MetricSuite`` is loaded (never at import). On CUDA the scorer turns off
TF32 and cuDNN's benchmark mode and asks for deterministic algorithms, so that the same
outputs always give the same numbers; the result records that it did. These settings are
process-wide, which is what a scoring worker wants.
"""
from __future__ import annotations

import os
from dataclasses import dataclass

import torch

from evaluator.metrics.errors import MetricComputationError


@dataclass(frozen=True)
class Runtime:
    """The device the metrics run on and how it was configured."""

    device: torch.device
    deterministic: bool
    threads: int


def available_cpus() -> int:
    """CPUs this process may run on (respects affinity masks and container limits)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def configure_runtime(device: str | None = None, threads: int | None = None) -> Runtime:
    """Pick the device (CUDA when available unless told otherwise) and set determinism flags."""
    chosen = torch.device(device if device else ("cuda" if torch.cuda.is_available() else "cpu"))
    if chosen.type == "cuda" and not torch.cuda.is_available():
        raise MetricComputationError("no_device", f"device {device!r} requested but CUDA is not available")
    if chosen.type == "cuda":  # pragma: no cover - no GPU on the CI machines
        # cuBLAS needs a fixed workspace for deterministic GEMMs; it must be set before its init.
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
        torch.backends.cudnn.benchmark = False
        torch.backends.cudnn.deterministic = True
        torch.backends.cuda.matmul.allow_tf32 = False
        torch.backends.cudnn.allow_tf32 = False
        torch.use_deterministic_algorithms(True)
        return Runtime(chosen, True, torch.get_num_threads())
    count = threads or available_cpus()
    if torch.get_num_threads() != count:
        torch.set_num_threads(count)
    # oneDNN CPU kernels are deterministic for a fixed thread count and shapes.
    return Runtime(chosen, True, count)
