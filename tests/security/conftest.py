"""Fixtures for the adversarial suite: the shared sandbox fixtures and a malicious-package runner."""
from __future__ import annotations

import textwrap
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest
from sandboxfixtures import image_set, limits, runner, sandbox_image  # noqa: F401  (fixtures)

from arena.core.enums import SubmissionFormat
from sandbox.examples import write_package
from arena.core.limits import SandboxLimits
from sandbox.runner import RunResult, SandboxRunner

# A generator module whose body runs ``ATTACK`` at import time, then returns the content
# image unchanged so that a harmless attack still produces valid outputs.
_ATTACK_TEMPLATE = """\
import os, sys, socket, errno, time
print("attack starting", flush=True)
{code}
print("attack finished", flush=True)


class Stylizer:
    def __call__(self, content, style):
        return content
"""


@pytest.fixture
def run_attack(runner: SandboxRunner, image_set: Path, limits: SandboxLimits, tmp_path: Path) -> Callable[..., RunResult]:
    """Run a package whose import executes ``code``; returns the RunResult (or raises)."""

    def run(code: str, run_limits: SandboxLimits | None = None, labels: dict[str, str] | None = None,
            files: dict[str, str | bytes] | None = None, inputs: Path | None = None,
            world_writable: bool = False) -> RunResult:
        body = _ATTACK_TEMPLATE.replace("{code}", textwrap.dedent(code).strip("\n"))
        name = uuid.uuid4().hex[:8]
        package = write_package(tmp_path / f"attack-{name}.zip", {"generator.py": body, **(files or {})})
        if world_writable:  # so that only the read-only mount can stop a write
            package.chmod(0o666)
        return runner.run(package, SubmissionFormat.PACKAGE, inputs or image_set, tmp_path / f"out-{name}",
                          run_limits or limits, labels or {"stylearena.evaluation": f"sec-{name}"})

    return run
