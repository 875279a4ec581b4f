"""Which runner an evaluation uses: the one for its competition's runtime image recipe."""
from __future__ import annotations

from typing import Any

from arena.core.settings import Settings
from sandbox.recipes import BASE, BASE_VERSION


def runner_for(runner: Any, settings: Settings, recipe: str) -> tuple[Any, dict[str, str]]:
    """The runner for runtime image ``recipe``, and the recipe's name and version (for provenance).

    ``base`` is the worker's own ``runner`` (``settings.sandbox.image``), exactly as before recipes
    existed. Another recipe is looked up per run, by the digest of the current base image, so a
    worker never runs a layer built on an older base.

    Raises:
        SandboxUnavailable: ``image_missing`` when the recipe is not built on this worker host
            (a platform fault: retried, never charged; the message names the build command).
    """
    if recipe == BASE:
        return runner, {"recipe": BASE, "version": BASE_VERSION}
    from sandbox.runner import SandboxRunner  # noqa: PLC0415 - the Docker SDK only where runs happen
    from sandbox.runtime_images import find_runtime_image  # noqa: PLC0415

    image = find_runtime_image(settings, recipe)
    return SandboxRunner(settings.docker_host, image.image_id), {"recipe": image.recipe, "version": image.version}
