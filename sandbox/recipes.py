"""Runtime image recipes: the named, versioned images a competition may run its generators in.

Docker-free on purpose: the web process (the participant guide), the organizer CLI and the
bundle check names against this registry; ``sandbox.runtime_images`` builds and finds the
images. ``base`` is the platform's sandbox image (``settings.sandbox.image``, built by
``sandbox.image``); every other recipe is layered on it with a ``docker build`` that only
copies files in, so building one takes seconds and needs no network.

A recipe's ``version`` is bumped by hand when its contents change on purpose; the image's
tag also carries a digest of everything the build reads (the base image id, the recipe's
fields), so a worker never runs a layer built on an older base.
"""
from __future__ import annotations

from dataclasses import dataclass

from sandbox.environment import installed_summary, torch_version

BASE = "base"
# The base image's recipe version: ``sandbox.image`` builds from it (RECIPE_VERSION there).
BASE_VERSION = "3"


class UnknownRecipe(ValueError):
    """No recipe has this name; the message lists the known ones."""


@dataclass(frozen=True)
class Patch:
    """One literal edit to an installed file (relative to site-packages); the build fails if ``old`` is absent."""

    path: str
    old: str
    new: str


@dataclass(frozen=True)
class RuntimeRecipe:
    """A named, versioned image: the base plus wheels installed offline into its site-packages."""

    name: str
    version: str
    # What a generator finds inside, as the participant guide states it.
    summary: str
    # pip requirements (exact pins), installed --no-deps from the wheel cache or the configured indexes.
    requirements: tuple[str, ...] = ()
    # Installed paths (relative to site-packages) left out of the image.
    remove: tuple[str, ...] = ()
    patches: tuple[Patch, ...] = ()

    @property
    def label(self) -> str:
        """``name`` and ``version`` as one word (``torchvision-1``): the image tag's prefix."""
        return f"{self.name}-{self.version}"


def build_command(name: str) -> str:
    """The command that builds recipe ``name`` on a host (what every 'not built' message names)."""
    return "stylearena sandbox build-image" + ("" if name == BASE else f" --recipe {name}")


TORCHVISION_VERSION = "0.28.0"  # the release built against the base image's torch 2.13

_NO_OPS = "(torch.library.register_fake(\"torchvision::{op}\") if torchvision.extension._has_ops() else (lambda fn: fn))"

RECIPES: dict[str, RuntimeRecipe] = {
    recipe.name: recipe for recipe in (
        RuntimeRecipe(BASE, BASE_VERSION, installed_summary()),
        RuntimeRecipe(
            "torchvision", "1",
            f"Python 3.11 (Debian bookworm) with torch {torch_version()} (CPU build), torchvision "
            f"{TORCHVISION_VERSION} (models, transforms and the rest of its Python code; not its compiled "
            "operators such as torchvision.ops.nms or roi_align, nor torchvision.io's decoders), NumPy and "
            "Pillow; no network, no package installs.",
            requirements=(f"torchvision=={TORCHVISION_VERSION}",),
            # The only torchvision wheels on the build machines are CUDA builds: their compiled
            # operators link against libtorch_cuda, which the CPU torch has not. Leave them out,
            # and register nms/qnms's fake kernels only when the operators exist (torchvision
            # registers those two unconditionally, so without the operators `import torchvision` fails).
            remove=("torchvision/_C.so", "torchvision/image.so", "torchvision.libs"),
            patches=tuple(
                Patch("torchvision/_meta_registrations.py", f"@torch.library.register_fake(\"torchvision::{op}\")",
                      "@" + _NO_OPS.format(op=op))
                for op in ("nms", "qnms")
            ),
        ),
    )
}


def get_recipe(name: str) -> RuntimeRecipe:
    """The recipe called ``name``; raises UnknownRecipe naming the known ones."""
    try:
        return RECIPES[name]
    except KeyError:
        raise UnknownRecipe(f"Unknown runtime image '{name}'; the platform builds: {', '.join(RECIPES)} "
                            "(`stylearena sandbox images` lists them).") from None
