"""The sandbox image: cached by recipe hash, never rebuilt when the recipe is unchanged."""
from __future__ import annotations

import time
from pathlib import Path

import docker
import pytest

from arena.settings import SandboxSettings, Settings
from sandbox.errors import SandboxUnavailable
from sandbox.image import REPOSITORY, ImageRecipe, apt_mirror, ensure_image


def test_recipe_hash_changes_with_the_recipe():
    base = ImageRecipe()
    assert base.digest() == ImageRecipe(mirror="http://elsewhere/debian").digest()
    assert base.digest() != ImageRecipe(packages=("python3",)).digest()
    assert len(base.digest()) == 16


def test_apt_mirror_reads_deb822_and_one_line_sources(tmp_path: Path):
    (tmp_path / "sources.list.d").mkdir()
    (tmp_path / "sources.list.d" / "debian.sources").write_text(
        "Types: deb\nURIs: http://mirror.example/debian\nSuites: bookworm\n\n"
        "Types: deb\nURIs: http://mirror.example/debian-security\nSuites: bookworm-security\n"
    )
    assert apt_mirror(tmp_path) == "http://mirror.example/debian"
    (tmp_path / "sources.list.d" / "debian.sources").unlink()
    (tmp_path / "sources.list").write_text("deb [arch=amd64] http://other.example/debian bookworm main\n")
    assert apt_mirror(tmp_path) == "http://other.example/debian"


@pytest.mark.docker
def test_second_ensure_is_a_cached_no_op(docker_host, sandbox_image):
    started = time.monotonic()
    assert ensure_image(Settings(docker_host=docker_host)) == sandbox_image
    assert time.monotonic() - started < 10
    client = docker.DockerClient(base_url=docker_host)
    image = client.images.get(sandbox_image)
    assert f"{REPOSITORY}:{ImageRecipe().digest()}" in image.tags and f"{REPOSITORY}:latest" in image.tags
    assert image.attrs["Config"]["User"] == "65534:65534"


@pytest.mark.docker
def test_foreign_image_is_looked_up_never_built(docker_host):
    settings = Settings(docker_host=docker_host, sandbox=SandboxSettings(image="registry.example/gpu-sandbox:1.0"))
    with pytest.raises(SandboxUnavailable) as info:
        ensure_image(settings)
    assert info.value.code == "image_missing"
