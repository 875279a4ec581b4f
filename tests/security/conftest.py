"""Fixtures for the adversarial suite: the sandbox image, a runner, and a malicious-package runner.

The image fixtures mirror tests/sandbox/conftest.py (pytest shares fixtures only down a
directory tree); the logic behind them lives in sandbox.image and sandbox.examples.
"""
from __future__ import annotations

import textwrap
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest

from arena.enums import SubmissionFormat
from arena.settings import Settings
from sandbox.errors import SandboxError
from sandbox.examples import write_image_set, write_package
from sandbox.limits import SandboxLimits
from sandbox.runner import RunResult, SandboxRunner

IMAGE_SIZE = (32, 24)


@pytest.fixture(scope="session")
def sandbox_image(docker_host: str) -> str:
    """The sandbox image id (built on first use on a fresh machine: a few minutes)."""
    from sandbox.image import ensure_image

    try:
        return ensure_image(Settings(docker_host=docker_host))
    except SandboxError as exc:
        pytest.fail(f"sandbox image unavailable: [{exc.code}] {exc.message}")


@pytest.fixture(scope="session")
def runner(docker_host: str, sandbox_image: str) -> SandboxRunner:
    """A runner on the project's Docker Engine, using the image by id."""
    return SandboxRunner(docker_host, sandbox_image)


@pytest.fixture(scope="session")
def image_set(tmp_path_factory) -> Path:
    """Two small pairs in the image-set layout."""
    return write_image_set(tmp_path_factory.mktemp("imageset") / "set", n_pairs=2, size=IMAGE_SIZE)


@pytest.fixture
def limits() -> SandboxLimits:
    """Small limits so misbehaving generators fail fast."""
    return SandboxLimits(memory_mb=1024, cpus=1.0, pids_limit=64, timeout_s=60, tmpfs_mb=64, output_mb=16, log_bytes=64_000)


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
