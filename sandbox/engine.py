"""Connecting to the Docker Engine: one place that turns connection failures into platform faults."""
from __future__ import annotations

import docker
from docker.errors import DockerException

from sandbox.errors import SandboxUnavailable


def connect(docker_host: str, timeout: int = 120) -> docker.DockerClient:
    """A Docker client for ``docker_host``, checked with a ping.

    Raises:
        SandboxUnavailable: the engine cannot be reached (code ``docker_unavailable``).
    """
    try:
        client = docker.DockerClient(base_url=docker_host, timeout=timeout)
        client.ping()
    except DockerException as exc:
        raise SandboxUnavailable(
            "docker_unavailable",
            f"Cannot reach the Docker Engine at {docker_host} ({exc}). Start it with "
            "`scripts/services.sh start docker` or set STYLEARENA_DOCKER_HOST.",
        ) from exc
    return client
