"""Build and find the runtime images of ``sandbox.recipes`` on this host's Docker Engine.

``base`` is ``settings.sandbox.image`` itself (built by ``sandbox.image.ensure_image``). Every
other recipe is a thin layer on the base image: its wheels are installed on the host with pip
(``--no-deps --target``, offline from the wheel cache first, else from pip's configured
indexes), trimmed and patched as the recipe says, and copied in by a ``docker build`` whose
only step is a COPY (no RUN, so no network and no package manager in the build). The layer is
tagged ``stylearena-runtime:<name>-<version>-<digest>``, the digest covering the base image id
and the recipe, so a rebuilt base makes the old layer unfindable instead of silently stale.
"""
from __future__ import annotations

import hashlib
import json
import os
import platform
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

from docker.errors import APIError, BuildError, DockerException, ImageNotFound

from arena.core.settings import Settings
from sandbox.engine import connect
from sandbox.errors import ImageBuildError, SandboxUnavailable
from sandbox.image import DEFAULT_CACHE_DIR, REPOSITORY as BASE_REPOSITORY, SITE_PACKAGES, ensure_image
from sandbox.recipes import BASE, RECIPES, RuntimeRecipe, build_command, get_recipe

REPOSITORY = "stylearena-runtime"
LABEL_RECIPE = "stylearena.runtime.recipe"
LABEL_VERSION = "stylearena.runtime.version"
_PLATFORM = ["--only-binary=:all:", "--python-version", "3.11", "--implementation", "cp", "--abi", "cp311",
             "--platform", "manylinux_2_28_x86_64"]


@dataclass(frozen=True)
class RuntimeImage:
    """A recipe as this host has it: ``image_id`` None when it is not built (for the current base)."""

    recipe: str
    version: str
    ref: str | None
    image_id: str | None

    def provenance(self) -> dict[str, str | None]:
        """What an evaluation records about the image it ran in."""
        return {"recipe": self.recipe, "version": self.version, "image_id": self.image_id}


def layer_digest(recipe: RuntimeRecipe, base_image_id: str) -> str:
    """The digest naming a recipe's layer: its fields and the image it is layered on."""
    fields = {**asdict(recipe), "summary": None, "base_image_id": base_image_id}
    return hashlib.sha256(json.dumps(fields, sort_keys=True).encode()).hexdigest()[:16]


def _lookup(client, ref: str) -> str | None:
    try:
        return client.images.get(ref).id
    except ImageNotFound:
        return None
    except DockerException as exc:
        raise SandboxUnavailable("docker_unavailable", f"Docker Engine error: {exc}") from exc


def _state(client, settings: Settings, recipe: RuntimeRecipe) -> RuntimeImage:
    base_id = _lookup(client, settings.sandbox.image)
    if recipe.name == BASE:
        return RuntimeImage(BASE, recipe.version, settings.sandbox.image, base_id)
    if base_id is None:
        return RuntimeImage(recipe.name, recipe.version, None, None)
    ref = f"{REPOSITORY}:{recipe.label}-{layer_digest(recipe, base_id)}"
    return RuntimeImage(recipe.name, recipe.version, ref, _lookup(client, ref))


def list_runtime_images(settings: Settings) -> list[RuntimeImage]:
    """Every recipe, built on this host or not.

    Raises:
        SandboxUnavailable: Docker is down.
    """
    client = connect(settings.docker_host)
    return [_state(client, settings, recipe) for recipe in RECIPES.values()]


def find_runtime_image(settings: Settings, name: str) -> RuntimeImage:
    """The built image of recipe ``name`` on this host.

    Raises:
        UnknownRecipe: no such recipe.
        SandboxUnavailable: ``image_missing`` (the message names the build command) or Docker is down.
    """
    recipe = get_recipe(name)
    found = _state(connect(settings.docker_host), settings, recipe)
    if found.image_id is None:
        raise SandboxUnavailable(
            "image_missing",
            f"The runtime image '{name}' (version {recipe.version}) is not built on this host ({platform.node()}) "
            f"for its current base image; run `{build_command(name)}` there.")
    return found


def build_runtime_image(settings: Settings, name: str, cache_dir: Path = DEFAULT_CACHE_DIR,
                        log: Callable[[str], None] | None = None, force: bool = False) -> RuntimeImage:
    """Build (or find) recipe ``name``'s image, building the base first when it is missing.

    Raises:
        UnknownRecipe: no such recipe.
        ImageBuildError: a step failed; the message says which and what to check.
        SandboxUnavailable: Docker is down, or a foreign base image is missing.
    """
    say = log or (lambda message: None)
    recipe = get_recipe(name)
    base_id = ensure_image(settings, cache_dir, log=say)
    client = connect(settings.docker_host, timeout=900)
    if recipe.name == BASE:
        return _state(client, settings, recipe)
    if not settings.sandbox.image.startswith(BASE_REPOSITORY + ":"):
        raise ImageBuildError("foreign_base", f"Recipes are layered on the platform's CPU image ({BASE_REPOSITORY}); "
                                              f"{settings.sandbox.image!r} is another image: add {name}'s packages "
                                              "to that image's own Dockerfile instead.")
    ref = f"{REPOSITORY}:{recipe.label}-{layer_digest(recipe, base_id)}"
    previous = _lookup(client, ref)
    if previous and not force:
        return _state(client, settings, recipe)
    work = cache_dir / "runtime" / recipe.label
    shutil.rmtree(work, ignore_errors=True)
    site = work / "site"
    site.mkdir(parents=True)
    try:
        say(f"installing {', '.join(recipe.requirements)} for {recipe.label}")
        _install(recipe, site, cache_dir / "wheels", work)
        _trim_and_patch(recipe, site)
        (work / "Dockerfile").write_text(
            f"FROM {base_id}\nCOPY site/ /{SITE_PACKAGES}/\n"
            f"LABEL {LABEL_RECIPE}={recipe.name} {LABEL_VERSION}={recipe.version}\n")
        say(f"docker build {ref} (FROM the base image {base_id[:19]})")
        try:
            client.images.build(path=str(work), tag=ref, rm=True, forcerm=True, network_mode="none")
        except (BuildError, APIError) as exc:
            raise ImageBuildError("build_failed", f"docker build of {ref} failed: {exc}") from exc
    finally:
        shutil.rmtree(work, ignore_errors=True)
    _prune_older(client, recipe, ref, previous, say)
    return _state(client, settings, recipe)


def _install(recipe: RuntimeRecipe, site: Path, wheels: Path, work: Path) -> None:
    """pip-install the recipe's pins into ``site``: the wheel cache first, then pip's configured indexes."""
    wheels.mkdir(parents=True, exist_ok=True)
    install = [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-index", "--find-links",
               str(wheels), "--target", str(site), *_PLATFORM, *recipe.requirements]
    if subprocess.run(install, capture_output=True, check=False).returncode == 0:
        return
    download = subprocess.run(
        [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--dest", str(wheels), *_PLATFORM,
         *recipe.requirements], capture_output=True, text=True, check=False)
    if download.returncode != 0:
        raise ImageBuildError("pip_download_failed", f"pip could not find {' '.join(recipe.requirements)} in the wheel "
                                                     f"cache {wheels} or pip's configured indexes (`pip config list`):"
                                                     f"\n{download.stderr[-1500:]}")
    result = subprocess.run(install, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise ImageBuildError("pip_install_failed", f"pip install into {site} failed:\n{result.stderr[-1500:]}")


def _trim_and_patch(recipe: RuntimeRecipe, site: Path) -> None:
    for part in recipe.remove:
        target = site / part
        if target.is_dir():
            shutil.rmtree(target)
        elif target.exists():
            target.unlink()
    for patch in recipe.patches:
        path = site / patch.path
        text = path.read_text(encoding="utf-8")
        if patch.old not in text:
            # A different release of the package: the patch no longer says what it fixes.
            raise ImageBuildError("patch_failed", f"{patch.path} has no {patch.old!r}; the recipe '{recipe.name}' "
                                                  "needs updating for this release.")
        path.write_text(text.replace(patch.old, patch.new), encoding="utf-8")
    # The generator runs as another user, on a read-only root: everything world-readable.
    for root, dirs, files in os.walk(site):
        for entry in dirs:
            os.chmod(os.path.join(root, entry), 0o755)
        for entry in files:
            os.chmod(os.path.join(root, entry), 0o644)


def _prune_older(client, recipe: RuntimeRecipe, keep: str, replaced: str | None,
                 say: Callable[[str], None]) -> None:
    """Remove this recipe's layers on earlier bases or versions, and the one a --force rebuild replaced."""
    if replaced and replaced != _lookup(client, keep):
        try:
            client.images.remove(replaced)
        except APIError:
            pass  # a container still uses it
    for image in client.images.list(name=REPOSITORY):
        for tag in image.tags:
            if tag != keep and tag.split(":", 1)[1].startswith(recipe.name + "-"):
                try:
                    client.images.remove(tag)
                    say(f"removed old image {tag}")
                except APIError:
                    pass  # a container still uses it; a later build retries
