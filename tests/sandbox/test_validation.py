"""Output validation on the host: each way outputs can be wrong has its own code."""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from sandbox.errors import InvalidOutput
from sandbox.examples import write_image_set
from sandbox.validation import validate_outputs

SIZE = (32, 24)


@pytest.fixture
def image_set(tmp_path: Path) -> Path:
    return write_image_set(tmp_path / "set", n_pairs=2, size=SIZE)


@pytest.fixture
def good_outputs(tmp_path: Path) -> Path:
    out = tmp_path / "out"
    out.mkdir()
    for pair in ("p0", "p1"):
        Image.new("RGB", SIZE, (10, 20, 30)).save(out / f"{pair}.png")
    return out


def code_of(out: Path, inputs: Path) -> str:
    with pytest.raises(InvalidOutput) as info:
        validate_outputs(out, inputs)
    assert info.value.message
    return info.value.code


def test_valid_outputs_pass(good_outputs, image_set):
    validate_outputs(good_outputs, image_set)


def test_missing_output(good_outputs, image_set):
    (good_outputs / "p1.png").unlink()
    assert code_of(good_outputs, image_set) == "missing_output"


def test_extra_output(good_outputs, image_set):
    (good_outputs / "p2.png").write_bytes((good_outputs / "p0.png").read_bytes())
    assert code_of(good_outputs, image_set) == "extra_output"


def test_subdirectory_is_extra(good_outputs, image_set):
    (good_outputs / "nested").mkdir()
    assert code_of(good_outputs, image_set) == "extra_output"


def test_symlink_output(good_outputs, image_set, tmp_path):
    target = tmp_path / "elsewhere.png"
    os.replace(good_outputs / "p1.png", target)
    (good_outputs / "p1.png").symlink_to(target)
    assert code_of(good_outputs, image_set) == "symlink"


def test_not_png(good_outputs, image_set):
    Image.new("RGB", SIZE).save(good_outputs / "p0.png", format="JPEG")
    assert code_of(good_outputs, image_set) == "not_png"


def test_wrong_size(good_outputs, image_set):
    Image.new("RGB", (SIZE[0] - 1, SIZE[1])).save(good_outputs / "p0.png")
    assert code_of(good_outputs, image_set) == "wrong_size"


def test_not_rgb(good_outputs, image_set):
    Image.new("RGBA", SIZE).save(good_outputs / "p0.png")
    assert code_of(good_outputs, image_set) == "not_rgb"
    Image.new("L", SIZE).save(good_outputs / "p0.png")
    assert code_of(good_outputs, image_set) == "not_rgb"


def test_pixel_bomb_rejected_before_decoding(good_outputs, image_set):
    # A 4000x4000 PNG of one colour is tiny on disk but 16M pixels to decode.
    Image.new("RGB", (4000, 4000)).save(good_outputs / "p0.png")
    assert (good_outputs / "p0.png").stat().st_size < 200_000
    assert code_of(good_outputs, image_set) == "too_large"


def test_oversized_file_rejected(good_outputs, image_set):
    data = (good_outputs / "p0.png").read_bytes()
    (good_outputs / "p0.png").write_bytes(data + os.urandom(2 << 20))  # trailing junk, 2 MB
    assert code_of(good_outputs, image_set) == "too_large"


def test_truncated_png_is_corrupt(good_outputs, image_set):
    noisy = np.random.default_rng(0).integers(0, 256, (SIZE[1], SIZE[0], 3), dtype=np.uint8)
    Image.fromarray(noisy, "RGB").save(good_outputs / "p0.png")
    data = (good_outputs / "p0.png").read_bytes()
    (good_outputs / "p0.png").write_bytes(data[: len(data) // 2])
    assert code_of(good_outputs, image_set) == "corrupt_output"
