"""Choosing a competition's runtime image: a known recipe, built on the host that chooses it.

The name check is Docker-free (``arena.services.competitions`` refuses unknown names); this
module adds the organizer-side check that the image exists here, so a competition is never
switched to an image no worker can run (workers check again per run: ``evaluator.context``).
"""
from __future__ import annotations

from arena.core.settings import Settings
from arena.services.competitions import CompetitionError
from sandbox.errors import SandboxUnavailable
from sandbox.recipes import UnknownRecipe
from sandbox.runtime_images import RuntimeImage, find_runtime_image


def require_built(settings: Settings, name: str) -> RuntimeImage:
    """The built image of recipe ``name`` on this host; raises CompetitionError naming the build command."""
    try:
        return find_runtime_image(settings, name)
    except UnknownRecipe as exc:
        raise CompetitionError("unknown_runtime_image", str(exc)) from None
    except SandboxUnavailable as exc:
        code = "runtime_image_not_built" if exc.code == "image_missing" else exc.code
        raise CompetitionError(code, exc.message) from None
