"""The metric suite a process loads once per weights folder (the backbones take seconds).

Publishing, the local scoring kit and the demo share it; a worker builds its own in
``evaluator.context`` because it must control torch's threads around forking.
"""
from __future__ import annotations

import functools
from pathlib import Path

from evaluator.metrics.suite import MetricSuite


@functools.lru_cache(maxsize=4)
def shared_suite(weights_dir: Path | None, device: str | None = None) -> MetricSuite:
    """This process's suite for ``weights_dir`` (None: seeded backbones) on ``device``."""
    return MetricSuite.load(weights_dir, device)
