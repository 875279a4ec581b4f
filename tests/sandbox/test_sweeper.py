"""The sweeper removes sandboxes whose deadline passed; kill_labelled removes one evaluation's."""
from __future__ import annotations

import time
from pathlib import Path

import docker
import pytest

from sandbox import container as spec
from arena.core.limits import SandboxLimits
from sandbox.sweeper import kill_labelled, sweep_expired

pytestmark = pytest.mark.docker


def start_sandbox(client, image_id: str, tmp_path: Path, labels: dict[str, str]):
    model = tmp_path / "model.pt"
    model.write_bytes(b"x")
    config = spec.container_config(image_id, model, tmp_path, SandboxLimits(), {spec.LABEL_SANDBOX: "1", **labels})
    container = client.containers.create(**config)
    container.start()
    return container


def _labelled(client, tag: str) -> set[str]:
    return {c.id for c in client.containers.list(all=True, filters={"label": f"{spec.LABEL_EVALUATION}={tag}"})}


def test_sweep_removes_only_expired_sandboxes(docker_host, sandbox_image, tmp_path):
    client = docker.DockerClient(base_url=docker_host)
    tag = f"sweep-{time.monotonic_ns()}"
    expired = start_sandbox(client, sandbox_image, tmp_path, {spec.LABEL_DEADLINE: str(int(time.time()) - 5), spec.LABEL_EVALUATION: tag})
    alive = start_sandbox(client, sandbox_image, tmp_path, {spec.LABEL_DEADLINE: str(int(time.time()) + 3600), spec.LABEL_EVALUATION: tag})
    try:
        # Another sweeper on this engine (a worker's maintenance pass) may be removing the expired
        # one at the same moment: the sweep then counts it as not its own, and it still goes.
        sweep_expired(docker_host)
        remaining = _labelled(client, tag)
        for _ in range(50):
            if expired.id not in remaining:
                break
            time.sleep(0.1)  # a removal in progress elsewhere
            remaining = _labelled(client, tag)
        assert remaining == {alive.id} and expired.id not in remaining
        assert kill_labelled(docker_host, evaluation_id=tag) == 1
        assert client.containers.list(all=True, filters={"label": f"{spec.LABEL_EVALUATION}={tag}"}) == []
    finally:
        for container in (expired, alive):
            try:
                container.remove(force=True)
            except (docker.errors.NotFound, docker.errors.APIError):
                pass  # gone, or its removal is already in progress


def test_kill_labelled_refuses_an_empty_filter(docker_host):
    with pytest.raises(ValueError):
        kill_labelled(docker_host)
