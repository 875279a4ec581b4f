"""Runtime image recipes: the registry, the layer build, and what is importable in each image."""
from __future__ import annotations

import time
from pathlib import Path

import docker
import pytest
from click.testing import CliRunner

from arena.core.settings import Settings
from sandbox import recipes
from sandbox.errors import ImageBuildError, SandboxUnavailable
from sandbox.recipes import BASE, RECIPES, Patch, RuntimeRecipe, UnknownRecipe, build_command, get_recipe
from sandbox.runtime_images import (
    LABEL_RECIPE,
    LABEL_VERSION,
    REPOSITORY,
    _trim_and_patch,
    find_runtime_image,
    layer_digest,
)

IMPORT_TORCHVISION = "import torchvision, torchvision.transforms.functional as F; print('tv', torchvision.__version__)"


def test_the_registry_names_base_and_torchvision_with_versions_and_build_commands():
    assert list(RECIPES)[:2] == [BASE, "torchvision"]
    assert get_recipe(BASE).version == recipes.BASE_VERSION
    assert get_recipe("torchvision").label == "torchvision-1"
    assert build_command(BASE) == "stylearena sandbox build-image"
    assert build_command("torchvision") == "stylearena sandbox build-image --recipe torchvision"
    with pytest.raises(UnknownRecipe, match=r"Unknown runtime image 'tensorflow'; the platform builds: base, torchvision"):
        get_recipe("tensorflow")
    # What the guide states: base has no torchvision, the other one says which parts it lacks.
    assert "no torchvision" in get_recipe(BASE).summary
    assert "torchvision 0.28.0" in get_recipe("torchvision").summary and "nms" in get_recipe("torchvision").summary


def test_the_layer_digest_follows_the_base_image_and_the_recipe():
    recipe = get_recipe("torchvision")
    assert layer_digest(recipe, "sha256:a") == layer_digest(recipe, "sha256:a")
    assert layer_digest(recipe, "sha256:a") != layer_digest(recipe, "sha256:b")  # a rebuilt base: a new layer
    bumped = RuntimeRecipe(recipe.name, "2", recipe.summary, recipe.requirements, recipe.remove, recipe.patches)
    assert layer_digest(bumped, "sha256:a") != layer_digest(recipe, "sha256:a")
    reworded = RuntimeRecipe(recipe.name, recipe.version, "other words", recipe.requirements, recipe.remove,
                             recipe.patches)
    assert layer_digest(reworded, "sha256:a") == layer_digest(recipe, "sha256:a")  # the guide's text is not content


def test_trim_and_patch_removes_paths_patches_files_and_refuses_a_patch_that_no_longer_applies(tmp_path: Path):
    site = tmp_path / "site"
    (site / "pkg" / "libs").mkdir(parents=True)
    (site / "pkg" / "_C.so").write_bytes(b"\x7fELF")
    (site / "pkg" / "libs" / "x.so").write_bytes(b"")
    (site / "pkg" / "meta.py").write_text("@register('nms')\ndef f(): pass\n")
    (site / "pkg" / "meta.py").chmod(0o600)
    recipe = RuntimeRecipe("t", "1", "", remove=("pkg/_C.so", "pkg/libs"),
                           patches=(Patch("pkg/meta.py", "@register('nms')", "@(lambda fn: fn)"),))
    _trim_and_patch(recipe, site)
    assert not (site / "pkg" / "_C.so").exists() and not (site / "pkg" / "libs").exists()
    assert (site / "pkg" / "meta.py").read_text().startswith("@(lambda fn: fn)\n")
    assert (site / "pkg" / "meta.py").stat().st_mode & 0o777 == 0o644  # the sandbox user reads it
    with pytest.raises(ImageBuildError, match="needs updating for this release"):
        _trim_and_patch(recipe, site)  # the text it patches is gone now


@pytest.fixture(scope="session")
def torchvision_image(docker_host: str, sandbox_image: str):
    """The torchvision recipe's image, built once per session (a COPY layer on the base: seconds)."""
    from sandbox.runtime_images import build_runtime_image

    started = time.monotonic()
    built = build_runtime_image(Settings(docker_host=docker_host), "torchvision")
    return built, time.monotonic() - started


def _python(docker_host: str, image: str, code: str) -> tuple[int, str]:
    client = docker.DockerClient(base_url=docker_host)
    container = client.containers.create(image, ["python3", "-c", code], network_disabled=True, user="10001:10001")
    try:
        container.start()
        code_ = container.wait(timeout=120)["StatusCode"]
        return code_, container.logs().decode(errors="replace")
    finally:
        container.remove(force=True)


@pytest.mark.docker
def test_torchvision_imports_in_its_recipe_and_not_in_base(docker_host, sandbox_image, torchvision_image):
    built, seconds = torchvision_image
    assert built.image_id and built.ref.startswith(f"{REPOSITORY}:torchvision-1-")
    assert built.ref.endswith(layer_digest(get_recipe("torchvision"), sandbox_image))
    labels = docker.DockerClient(base_url=docker_host).images.get(built.image_id).labels
    assert labels[LABEL_RECIPE] == "torchvision" and labels[LABEL_VERSION] == "1"
    status, log = _python(docker_host, built.image_id, IMPORT_TORCHVISION + "; import torch; "
                          "print(F.hflip(torch.arange(4.).view(1, 1, 2, 2)).flatten().tolist())")
    assert status == 0 and "tv 0.28.0" in log and "[1.0, 0.0, 3.0, 2.0]" in log, log
    status, log = _python(docker_host, sandbox_image, IMPORT_TORCHVISION)
    assert status == 1 and "No module named 'torchvision'" in log
    # The operators it leaves out fail with torchvision's own explanation, not a crash.
    status, log = _python(docker_host, built.image_id, "import torch, torchvision\n"
                          "torchvision.ops.nms(torch.rand(2, 4), torch.rand(2), 0.5)")
    assert status == 1 and "Couldn't load custom C++ ops" in log


@pytest.mark.docker
def test_a_second_build_is_a_cached_no_op_and_images_lists_every_recipe(docker_host, settings, torchvision_image):
    from arena.cli import cli
    from sandbox.runtime_images import build_runtime_image

    built, _ = torchvision_image
    started = time.monotonic()
    assert build_runtime_image(Settings(docker_host=docker_host), "torchvision") == built
    assert time.monotonic() - started < 10
    out = CliRunner().invoke(cli, ["sandbox", "images"], obj={"settings": settings})
    assert out.exit_code == 0, out.output
    lines = out.output.splitlines()
    assert lines[0].startswith("base") and "v" + recipes.BASE_VERSION in lines[0]
    assert any(line.startswith("torchvision") and built.ref in line for line in lines)


@pytest.mark.docker
def test_a_recipe_not_built_here_is_named_with_its_build_command(docker_host, sandbox_image, monkeypatch):
    monkeypatch.setitem(RECIPES, "never-built", RuntimeRecipe("never-built", "1", "nothing"))
    with pytest.raises(SandboxUnavailable) as caught:
        find_runtime_image(Settings(docker_host=docker_host), "never-built")
    assert caught.value.code == "image_missing" and caught.value.platform_fault
    assert "`stylearena sandbox build-image --recipe never-built`" in caught.value.message


@pytest.mark.docker
def test_sandbox_try_runs_in_the_chosen_runtime_image(docker_host, sandbox_image, torchvision_image, image_set,
                                                      tmp_path):
    from arena.cli import cli
    from arena.core.settings import SandboxSettings
    from sandbox.examples import write_package

    settings = Settings(docker_host=docker_host, data_dir=tmp_path / "data",
                        sandbox=SandboxSettings(image=sandbox_image, memory_mb=1024, cpus=1.0, smoke_timeout_s=60))
    package = write_package(tmp_path / "tv.zip", {"generator.py": (
        "import torch\nimport torchvision.transforms.functional as F\n\n\nclass Stylizer(torch.nn.Module):\n"
        "    def forward(self, content, style):\n        return F.hflip(content)\n")})
    args = ["sandbox", "try", str(package), "--pairs", str(image_set)]
    chosen = CliRunner().invoke(cli, [*args, "--runtime-image", "torchvision", "--json"], obj={"settings": settings})
    assert chosen.exit_code == 0 and '"pairs_written": 2' in chosen.stdout, chosen.output
    base = CliRunner().invoke(cli, args, obj={"settings": settings})
    assert base.exit_code == 1 and "[load_failed]" in base.output and "No module named 'torchvision'" in base.output
    unknown = CliRunner().invoke(cli, [*args, "--runtime-image", "nope"], obj={"settings": settings})
    assert unknown.exit_code == 2 and "Unknown runtime image 'nope'" in unknown.output
