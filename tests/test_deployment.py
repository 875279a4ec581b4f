"""The production-shaped stack file is valid (it cannot be run offline: no images to pull)."""
from __future__ import annotations

import os
import shutil
import subprocess

import pytest

from arena.core.settings import PROJECT_ROOT


@pytest.mark.skipif(shutil.which("docker-compose") is None, reason="docker-compose (Debian) not installed")
def test_compose_file_is_valid_and_socket_only_in_workers():
    env = dict(os.environ, POSTGRES_PASSWORD="pw", STYLEARENA_SECRET_KEY="k")
    proc = subprocess.run(["docker-compose", "-f", str(PROJECT_ROOT / "docker-compose.yml"), "config"],
                          env=env, text=True, capture_output=True)
    assert proc.returncode == 0, proc.stderr
    import yaml  # PyYAML is a docker-compose dependency; safe_load only.

    config = yaml.safe_load(proc.stdout)
    services = config["services"]
    assert {"web", "worker", "redis", "postgres"} <= set(services)
    for name, svc in services.items():
        mounts = " ".join(str(v) for v in svc.get("volumes", []))
        assert ("docker.sock" in mounts) == (name == "worker"), name


def test_compose_file_refuses_to_run_without_secrets():
    if shutil.which("docker-compose") is None:
        pytest.skip("docker-compose (Debian) not installed")
    env = {k: v for k, v in os.environ.items() if k not in ("POSTGRES_PASSWORD", "STYLEARENA_SECRET_KEY")}
    proc = subprocess.run(["docker-compose", "-f", str(PROJECT_ROOT / "docker-compose.yml"), "config"],
                          env=env, text=True, capture_output=True)
    assert proc.returncode != 0
    assert "POSTGRES_PASSWORD" in proc.stderr or "STYLEARENA_SECRET_KEY" in proc.stderr


@pytest.mark.skipif(shutil.which("docker-compose") is None, reason="docker-compose (Debian) not installed")
def test_web_image_is_built_without_the_worker_extra():
    env = dict(os.environ, POSTGRES_PASSWORD="pw", STYLEARENA_SECRET_KEY="k")
    proc = subprocess.run(["docker-compose", "-f", str(PROJECT_ROOT / "docker-compose.yml"), "config"],
                          env=env, text=True, capture_output=True)
    import yaml

    services = yaml.safe_load(proc.stdout)["services"]
    images = {name: svc["image"] for name, svc in services.items() if name in ("web", "migrate", "worker")}
    assert images["web"] == images["migrate"] != images["worker"]
    assert services["migrate"]["build"]["args"]["EXTRAS"] == "web"
    assert services["worker"]["build"]["args"]["EXTRAS"] == "worker"
    # And the web extra itself carries no torch (the worker extra does).
    import tomllib

    extras = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    assert not any(dep.startswith("torch") for dep in extras["web"])
    assert any(dep.startswith("torch==") for dep in extras["worker"])
