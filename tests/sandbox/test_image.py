"""The sandbox image: cached by recipe hash, never rebuilt when the recipe is unchanged."""
from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import docker
import pytest

from arena.core.settings import SandboxSettings, Settings
from sandbox.errors import SandboxUnavailable
from sandbox.image import REPOSITORY, ImageRecipe, apt_mirror, ensure_image


def test_recipe_hash_changes_with_the_recipe():
    base = ImageRecipe()
    assert base.digest() == ImageRecipe(mirror="http://elsewhere/debian").digest()
    assert base.digest() != ImageRecipe(packages=("python3",)).digest()
    assert len(base.digest()) == 16


def test_the_image_carries_the_exit_code_table_and_supervisor_beside_the_harness(tmp_path: Path, monkeypatch):
    import shutil

    from sandbox import image

    rootfs = tmp_path / "rootfs"
    (rootfs / "etc").mkdir(parents=True)
    (rootfs / "etc/passwd").write_text("")
    (rootfs / "etc/group").write_text("")
    image._finish_rootfs(rootfs, "digest")
    copied = {path.name for path in (rootfs / "opt/stylearena").iterdir()}
    assert {"harness.py", "exit_codes.py", "supervisor.py"} <= copied
    # ... and the recipe hash covers the table: editing it alone makes a new image.
    harness_dir = tmp_path / "harness"
    shutil.copytree(image.HARNESS_DIR, harness_dir, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(image, "HARNESS_DIR", harness_dir)
    before = ImageRecipe().digest()
    (harness_dir / "exit_codes.py").write_text((harness_dir / "exit_codes.py").read_text() + "\n# changed\n")
    assert ImageRecipe().digest() != before


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


@pytest.mark.docker
def test_build_fails_clearly_without_the_wheel(docker_host, tmp_path):
    from sandbox.errors import ImageBuildError
    from sandbox.image import build_image

    recipe = ImageRecipe(torch_wheel=tmp_path / "torch-0.0-cp311-none-any.whl", mirror="http://127.0.0.1:9/debian")
    with pytest.raises(ImageBuildError) as info:
        build_image(docker_host, recipe, cache_dir=tmp_path / "cache", force=True)
    assert info.value.code == "missing_wheel" and "--wheel" in info.value.message and info.value.platform_fault


@pytest.mark.docker
def test_build_fails_clearly_when_not_root(docker_host, tmp_path, monkeypatch):
    from sandbox.errors import ImageBuildError
    from sandbox.image import build_image

    monkeypatch.setattr("os.geteuid", lambda: 1000)
    with pytest.raises(ImageBuildError) as info:
        build_image(docker_host, ImageRecipe(), cache_dir=tmp_path / "cache", force=True)
    assert info.value.code == "needs_root" and "sudo" in info.value.message


@pytest.mark.docker
def test_unreachable_mirror_names_the_step_and_the_log(docker_host, tmp_path):
    from sandbox.errors import ImageBuildError
    from sandbox.image import build_image

    recipe = ImageRecipe(mirror="http://127.0.0.1:9/debian")
    with pytest.raises(ImageBuildError) as info:
        build_image(docker_host, recipe, cache_dir=tmp_path / "cache", force=True)
    assert info.value.code == "debootstrap_failed"
    assert "http://127.0.0.1:9/debian" in info.value.message and "debootstrap.log" in info.value.message
    assert not (tmp_path / "cache" / "build" / recipe.digest()).exists()  # the half-built rootfs is gone


@pytest.mark.skipif(os.geteuid() != 0, reason="bind mounts need root")
def test_removing_a_build_tree_never_deletes_through_a_leftover_mount(tmp_path):
    from sandbox.image import _remove_tree

    host_dir = tmp_path / "host-dev"
    host_dir.mkdir()
    (host_dir / "precious").write_text("keep me")
    target = tmp_path / "build" / "rootfs" / "dev"
    target.mkdir(parents=True)
    subprocess.run(["mount", "--bind", str(host_dir), str(target)], check=True)
    _remove_tree(tmp_path / "build")
    assert (host_dir / "precious").read_text() == "keep me"
    assert not (tmp_path / "build").exists()
