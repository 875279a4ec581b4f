"""The sample images that ship inside scikit-image and matplotlib, with their licences.

Only files installed with the packages are read (nothing is downloaded). Licences follow
the packages' own notes: scikit-image's ``data/README.txt`` and matplotlib's
``sample_data/README.txt``.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image


@dataclass(frozen=True)
class SampleImage:
    """One shipped sample image and where it comes from."""

    key: str
    package: str
    filename: str
    source: str
    licence: str


SKIMAGE = "scikit-image"
MATPLOTLIB = "matplotlib"
SAMPLES: dict[str, SampleImage] = {s.key: s for s in (
    SampleImage("astronaut", SKIMAGE, "astronaut.png", "NASA, Eileen Collins (scikit-image data)", "Public domain"),
    SampleImage("coffee", SKIMAGE, "coffee.png", "Rachel Michetti (scikit-image data)", "CC0"),
    SampleImage("chelsea", SKIMAGE, "chelsea.png", "Stefan van der Walt (scikit-image data)", "CC0"),
    SampleImage("rocket", SKIMAGE, "rocket.jpg", "SpaceX, Falcon 9 (scikit-image data)", "CC0"),
    SampleImage("motorcycle", SKIMAGE, "motorcycle_left.png", "Middlebury stereo 2014 (scikit-image data)", "Public domain"),
    SampleImage("hubble", SKIMAGE, "hubble_deep_field.jpg", "NASA/ESA Hubble eXtreme Deep Field (scikit-image data)", "Public domain"),
    SampleImage("ihc", SKIMAGE, "ihc.png", "Immunohistochemistry, Kiel (scikit-image data)", "CC0"),
    SampleImage("coins", SKIMAGE, "coins.png", "Greek coins, Brooklyn Museum (scikit-image data)", "Public domain"),
    SampleImage("brick", SKIMAGE, "brick.png", "Brick texture, Stefan van der Walt (scikit-image data)", "CC0"),
    SampleImage("grass", SKIMAGE, "grass.png", "Grass texture, Stefan van der Walt (scikit-image data)", "CC0"),
    SampleImage("gravel", SKIMAGE, "gravel.png", "Gravel texture, Stefan van der Walt (scikit-image data)", "CC0"),
    SampleImage("grace_hopper", MATPLOTLIB, "grace_hopper.jpg", "Grace Hopper, US Navy (matplotlib sample data)", "Public domain"),
    SampleImage("lfw", SKIMAGE, "lfw_subset.npy", "Labeled Faces in the Wild subset (scikit-image data)", "See LFW terms; research use"),
)}


def sample_path(sample: SampleImage) -> Path:
    """Where the installed package keeps the file."""
    if sample.package == SKIMAGE:
        import skimage

        return Path(skimage.__file__).parent / "data" / sample.filename
    import matplotlib

    return Path(matplotlib.__file__).parent / "mpl-data" / "sample_data" / sample.filename


def load_rgb(key: str) -> np.ndarray:
    """A sample image as ``uint8 [H, W, 3]`` (grey images are replicated to three channels)."""
    with Image.open(sample_path(SAMPLES[key])) as img:
        return np.asarray(img.convert("RGB"))


def load_lfw_faces() -> np.ndarray:
    """scikit-image's 25×25 grey LFW faces as ``float [N, 25, 25]`` in ``[0, 1]``."""
    faces = np.load(sample_path(SAMPLES["lfw"]), allow_pickle=False)
    return np.asarray(faces, dtype=np.float64)
