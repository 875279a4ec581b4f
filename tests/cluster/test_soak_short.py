"""The soak of benchmarks/soak.py, short: 6 submissions, a partition and Redis restarted empty."""
from __future__ import annotations

import importlib.util
import sys

import pytest

from arena.core.settings import PROJECT_ROOT

pytestmark = [pytest.mark.slow, pytest.mark.docker]


def _soak_module():
    # By path: putting benchmarks/ on sys.path would shadow the sandbox package.
    spec = importlib.util.spec_from_file_location("soak_benchmark", PROJECT_ROOT / "benchmarks" / "soak.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def test_short_soak_loses_and_duplicates_nothing(stack, world, healed):
    soak = _soak_module()
    lines: list[str] = []
    report = soak.run_soak(stack, world, n=6, kinds=["partition", "redis_restart"], seed=3, mean_gap_s=4,
                           max_faults=2, timeout_s=240, log=lines.append)
    print(report.table())
    assert sum(report.faults.values()) == 2, lines
    assert report.lost == 0 and report.duplicated == 0 and report.missing_scores == 0, report.table()
    assert sum(report.statuses.values()) == 6 and set(report.statuses) <= {"scored", "failed"}
    # Neither fault is the participant's: every one of these tiny, valid submissions is scored.
    assert report.statuses["scored"] == 6, (report.table(), stack.logs())
