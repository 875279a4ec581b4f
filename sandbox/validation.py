"""Host-side validation of a generator's outputs: only validated PNGs ever reach the metrics.

The one owner of the output checks: the pipeline calls ``validate_outputs`` after a run, and
the metrics (the local scoring kit included) call ``check_output_names`` and ``check_png``.

The outputs are participant-controlled files, so each is checked before decoding: no links,
exactly the expected names, a byte cap, PNG only (``formats=["PNG"]``), a pixel cap just
above the expected size (checked from the header, before any decoding, and Pillow's
decompression-bomb warning turned into an error), RGB, the content image's size, and a
full decode.
"""
from __future__ import annotations

import os
import stat
import warnings
from pathlib import Path

from PIL import Image, UnidentifiedImageError

from arena.core.imageset import CONTENT_DIR, read_pairs
from sandbox.errors import InvalidOutput

# A PNG can be a little larger than its raw pixels (filter bytes, chunk headers).
_PNG_OVERHEAD = 1.1
_SLACK_BYTES = 1 << 20


def expected_outputs(inputs_dir: Path) -> dict[str, str]:
    """``<pair_id>.png`` -> content file name, from the image set's ``pairs.csv`` (platform data)."""
    return {pair.output_name: pair.content for pair in read_pairs(Path(inputs_dir))}


def validate_outputs(output_dir: Path, inputs_dir: Path) -> None:
    """Check that ``output_dir`` holds exactly one valid RGB PNG per pair of ``inputs_dir``.

    Raises:
        InvalidOutput: with code ``missing_output``, ``extra_output``, ``symlink``,
            ``not_png``, ``too_large``, ``not_rgb``, ``wrong_size`` or ``corrupt_output``.
    """
    output_dir, inputs_dir = Path(output_dir), Path(inputs_dir)
    expected = expected_outputs(inputs_dir)
    check_output_names(output_dir, set(expected))
    sizes: dict[str, tuple[int, int]] = {}
    for name, content_name in sorted(expected.items()):
        if content_name not in sizes:
            with Image.open(inputs_dir / CONTENT_DIR / content_name) as content:  # platform data
                sizes[content_name] = content.size
        check_png(output_dir / name, sizes[content_name])


def validate_repeat_outputs(repeat_dir: Path, inputs_dir: Path) -> None:
    """``validate_outputs`` for the repeat pass's PNGs (the diversity metric's second seed).

    They are as hostile as the outputs and pass exactly the same checks; the message says
    which pass broke the contract, since the participant sees only the first pass's files.

    Raises:
        InvalidOutput: the code ``validate_outputs`` gives, the message prefixed with the pass.
    """
    try:
        validate_outputs(repeat_dir, inputs_dir)
    except InvalidOutput as exc:
        raise InvalidOutput(exc.code, f"In the repeat pass (every pair generated again with a second seed, for the "
                                      f"diversity metric): {exc.message}", log=exc.log) from exc


def check_output_names(output_dir: Path, expected: set[str], ignored: frozenset[str] = frozenset()) -> None:
    """Check that ``output_dir`` holds exactly the ``expected`` regular files (plus ``ignored`` ones).

    Raises:
        InvalidOutput: ``symlink``, ``extra_output`` or ``missing_output``, naming the file.
    """
    present: set[str] = set()
    with os.scandir(output_dir) as entries:
        for entry in entries:
            if entry.name in ignored:
                continue
            if entry.is_symlink():
                raise InvalidOutput("symlink", f"Output {entry.name!r} is a symbolic link; write regular PNG files.")
            if not entry.is_file(follow_symlinks=False) or entry.name not in expected:
                raise InvalidOutput("extra_output", f"Unexpected file {entry.name!r}: write exactly one <pair_id>.png per pair.")
            present.add(entry.name)
    missing = sorted(expected - present)
    if missing:
        shown = ", ".join(missing[:5]) + (" ..." if len(missing) > 5 else "")
        raise InvalidOutput("missing_output", f"{len(missing)} of {len(expected)} outputs are missing: {shown}.")


def check_png(path: Path, size: tuple[int, int]) -> None:
    """Check one output file against the expected (width, height); see ``validate_outputs``."""
    width, height = size
    info = os.lstat(path)
    if not stat.S_ISREG(info.st_mode):
        raise InvalidOutput("symlink" if stat.S_ISLNK(info.st_mode) else "extra_output", f"{path.name} is not a regular file.")
    if info.st_size > width * height * 3 * _PNG_OVERHEAD + _SLACK_BYTES:
        raise InvalidOutput("too_large", f"{path.name} is {info.st_size} bytes, far more than a {width}x{height} PNG needs.")
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            with Image.open(path, formats=["PNG"]) as img:
                if img.size[0] * img.size[1] > width * height * 1.01 + 64:
                    raise InvalidOutput("too_large", f"{path.name} is {img.size[0]}x{img.size[1]}; expected {width}x{height}.")
                if img.mode != "RGB":
                    raise InvalidOutput("not_rgb", f"{path.name} has mode {img.mode}; save 8-bit RGB (no alpha, no palette).")
                if img.size != (width, height):
                    raise InvalidOutput("wrong_size", f"{path.name} is {img.size[0]}x{img.size[1]}; expected {width}x{height} (the content image's size).")
                img.load()
        except (UnidentifiedImageError, Image.DecompressionBombWarning, Image.DecompressionBombError) as exc:
            if isinstance(exc, UnidentifiedImageError):
                raise InvalidOutput("not_png", f"{path.name} is not a PNG image.") from exc
            raise InvalidOutput("too_large", f"{path.name} is too large to decode safely.") from exc
        except (OSError, SyntaxError, ValueError) as exc:
            raise InvalidOutput("corrupt_output", f"{path.name} could not be decoded ({exc}).") from exc
