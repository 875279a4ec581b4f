"""Fixtures for tests that run generators in the real sandbox image.

Shared by tests/sandbox and tests/security (pytest shares conftest fixtures only down a
directory tree, so both conftests import these). The image is built once per machine
(cached by recipe hash, see sandbox/image.py); a session here only looks it up.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from arena.core.settings import Settings
from sandbox.errors import SandboxError
from sandbox.examples import write_image_set
from arena.core.limits import SandboxLimits
from sandbox.runner import SandboxRunner

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
