"""What a generator finds inside the CPU sandbox image: the facts the participant guide states.

Docker-free on purpose (the web process reads it); ``sandbox.image`` builds the image from
these same values, so the guide cannot drift from the image.
"""
from __future__ import annotations

import re
from pathlib import Path

# The CPU torch wheel the image installs (it lies on the project's machines).
TORCH_WHEEL = Path("/opt/wheels/torch-2.13.0+cpu-cp311-cp311-manylinux_2_28_x86_64.whl")
# Debian release and the packages the image adds to a minimal root filesystem.
DEBIAN_SUITE = "bookworm"
DEBIAN_PACKAGES = ("python3", "python3-numpy", "python3-pil")
PYTHON_VERSION = "3.11"
# The torch.export serialization schema major version the image's torch reads: a .pt2 whose
# models/*.json has another major is refused at upload (torch.export.load would refuse it
# anyway, as a load failure after the upload was charged). Minor versions are compatible.
# tests/sandbox/test_pt2_export.py checks this against the image.
EXPORT_SCHEMA_MAJOR = 8
# The newer torch whose TorchScript (.pt) and torch.export (.pt2) files are tested to load in
# the image's torch (tests/sandbox/test_pt2_export.py saves with it: the project's own torch).
TESTED_SAVER_TORCH = "2.14.1"


def torch_version(wheel: Path = TORCH_WHEEL) -> str:
    """The torch version of a wheel, from its file name (``torch-2.13.0+cpu-...`` -> ``2.13.0+cpu``)."""
    match = re.match(r"torch-([^-]+)-", wheel.name)
    return match.group(1) if match else "unknown"


def installed_summary() -> str:
    """One line: what is importable inside the sandbox."""
    return (f"Python {PYTHON_VERSION} (Debian {DEBIAN_SUITE}) with torch {torch_version()} (CPU build), "
            "NumPy and Pillow; no torchvision, no network, no package installs.")


def saver_advice() -> str:
    """Which torch to save a .pt or .pt2 with, for the guide and the upload messages."""
    sandbox = torch_version()
    plain = sandbox.split("+")[0]
    return (f"The sandbox runs torch {sandbox}. TorchScript (.pt) and torch.export (.pt2) files saved with "
            f"torch {plain} or with torch {TESTED_SAVER_TORCH} (tested) load there; a .pt2 whose export schema is "
            f"not {EXPORT_SCHEMA_MAJOR}.x is refused at upload. With another torch, if loading fails, save with "
            f"torch {plain} (pip install torch=={plain}).")
