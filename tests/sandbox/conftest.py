"""Fixtures for the sandbox suite: the shared image/runner fixtures."""
from sandboxfixtures import image_set, limits, runner, sandbox_image  # noqa: F401  (fixtures)
