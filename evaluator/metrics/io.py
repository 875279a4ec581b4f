"""Reading what gets scored: the pairs CSV, and images decoded once into uint8 tensors.

Outputs are held to the output contract strictly (``<pair_id>.png``, a real PNG, 8-bit RGB,
the content image's size); dataset images were validated when their version was published
and are only converted to RGB here. Every failure is a ``ScoringError`` naming the file.
"""
from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from arena.core.imageset import Pair, PairsError, parse_pairs
from evaluator.metrics.errors import ScoringError
from sandbox.validation import check_output_names, check_png

# Files the sandbox harness may leave beside the outputs; they are not outputs.
IGNORED_OUTPUT_FILES = frozenset({"report.json"})
# Smallest side the AlexNet trunk and VGG19 relu5_1 (stride 16) can still measure.
MIN_SIDE = 32
# Largest image accepted (pixels); guards decoding against decompression bombs.
MAX_PIXELS = 4096 * 4096


def read_pairs_csv(path: Path | str) -> list[Pair]:
    """Parse a pairs file (the image-set layout's ``pairs.csv``) into pairs, in file order.

    Raises:
        ScoringError: ``bad_pairs`` for a missing file, wrong header, bad or duplicate id.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ScoringError("bad_pairs", f"cannot read pairs file {path}: {exc}") from exc
    try:
        return parse_pairs(text, str(path))
    except PairsError as exc:
        raise ScoringError("bad_pairs", str(exc)) from exc


def image_size(path: Path) -> tuple[int, int]:
    """(width, height) from the image header, without decoding the pixels."""
    with _open(path) as img:
        return img.size


def _open(path: Path) -> Image.Image:
    if not path.is_file():
        raise ScoringError("missing_input", f"{path}: file not found")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            img = Image.open(path)
    except (OSError, Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ScoringError("unreadable_image", f"{path.name}: not a readable image ({exc})") from exc
    width, height = img.size
    if width * height > MAX_PIXELS:
        img.close()
        raise ScoringError(
            "image_too_large", f"{path.name}: {width}x{height} exceeds {MAX_PIXELS} pixels"
        )
    return img


def _to_tensor(img: Image.Image, path: Path) -> torch.Tensor:
    try:
        array = np.asarray(img, dtype=np.uint8)
    except (OSError, ValueError) as exc:
        raise ScoringError("unreadable_image", f"{path.name}: cannot decode ({exc})") from exc
    # HWC uint8 -> CHW; a copy so the tensor owns writable memory.
    return torch.from_numpy(array.transpose(2, 0, 1).copy())


def decode_reference(path: Path) -> torch.Tensor:
    """Decode a dataset (content or style) image to a uint8 ``[3,H,W]`` RGB tensor."""
    with _open(path) as img:
        _check_min_side(img.size, path)
        try:
            rgb = img.convert("RGB")
        except OSError as exc:
            raise ScoringError("unreadable_image", f"{path.name}: cannot decode ({exc})") from exc
        return _to_tensor(rgb, path)


def _check_min_side(size: tuple[int, int], path: Path) -> None:
    if min(size) < MIN_SIDE:
        raise ScoringError(
            "image_too_small",
            f"{path.name}: {size[0]}x{size[1]} is smaller than {MIN_SIDE} pixels on a side",
        )


def _open_output(path: Path, expected_size: tuple[int, int]) -> Image.Image:
    # The output contract is checked by its one owner, the sandbox's output validation.
    check_png(path, tuple(expected_size))
    return _open(path)


def check_output_header(path: Path, expected_size: tuple[int, int]) -> None:
    """Check an output against the contract (``sandbox.validation.check_png``) before any compute.

    Raises:
        sandbox.errors.InvalidOutput: ``not_png``, ``not_rgb``, ``wrong_size``, ``too_large`` ...
    """
    check_png(path, tuple(expected_size))


def decode_output(path: Path, expected_size: tuple[int, int]) -> torch.Tensor:
    """Decode one generator output, enforcing the output contract.

    Raises:
        sandbox.errors.InvalidOutput: the file breaks the output contract.
    """
    with _open_output(path, expected_size) as img:
        return _to_tensor(img, path)


def check_output_files(pairs: list[Pair], outputs_dir: Path) -> dict[str, Path]:
    """Map pair id -> output path; the folder must hold exactly one ``<pair_id>.png`` per pair.

    Raises:
        ScoringError: ``missing_input`` when the folder does not exist.
        sandbox.errors.InvalidOutput: ``missing_output``, ``extra_output`` or ``symlink``.
    """
    if not outputs_dir.is_dir():
        raise ScoringError("missing_input", f"outputs folder {outputs_dir} does not exist")
    expected = {pair.output_name: pair.pair_id for pair in pairs}
    check_output_names(outputs_dir, set(expected), ignored=IGNORED_OUTPUT_FILES)
    return {pair_id: outputs_dir / name for name, pair_id in expected.items()}


def check_finite(batch: torch.Tensor, names: list[str]) -> None:
    """Raise ``non_finite`` naming the first image of a float batch that holds NaN or inf."""
    finite = torch.isfinite(batch.flatten(1)).all(dim=1)
    if not bool(finite.all()):
        index = int((~finite).nonzero()[0, 0])
        raise ScoringError("non_finite", f"{names[index]}: contains NaN or infinite values")
