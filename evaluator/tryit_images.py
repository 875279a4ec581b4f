"""Try it's image rule, in one place: decode hostile bytes, re-encode them as a clean PNG.

Both ends of a try-it run pass through here: the visitor's photo and style on the web host
before anything else (the sandbox, the store, another page) sees them, and the generator's
output on the worker before it is stored. Nothing is trusted: the format comes from the
decoded image, never the file name; the byte count, the pixel count (read from the header,
before any pixel is decompressed) and the metadata size are capped; and what comes out is a
fresh RGB PNG written from the pixels alone, so no EXIF, ICC profile, text chunk or trailing
bytes survive. Pillow only (no torch): the web process imports this.
"""
from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError

from arena.core.errors import ArenaError

VISITOR_FORMATS = frozenset({"JPEG", "PNG", "WEBP"})
MAX_BYTES = 10 * 1024 * 1024
# Refused before decoding: 40 MP is any camera's photo; a bomb claims far more.
MAX_PIXELS = 40_000_000
# EXIF of a real photo is a few KB (a JPEG APP1 segment tops out at 64 KB); more is an attack.
MAX_EXIF_BYTES = 64 * 1024
# What the generator gets: the longest side at most this (the run is short and on a CPU).
MAX_SIDE = 768


class ImageRefused(ArenaError):
    """An image the intake will not take, with a message that says what to do instead."""


@dataclass(frozen=True)
class CleanImage:
    """A re-encoded PNG (metadata-free) and its size."""

    png: bytes
    width: int
    height: int


def clean_image(data: bytes, what: str = "photo", formats: frozenset[str] = VISITOR_FORMATS,
                max_side: int | None = MAX_SIDE, expect_size: tuple[int, int] | None = None) -> CleanImage:
    """Decode ``data`` and re-encode it as an RGB PNG without metadata.

    Args:
        what: how the message names the image ("photo", "style image", "result").
        formats: the decoded formats accepted (Pillow's names).
        max_side: downscale so the longest side is at most this (None: keep the size).
        expect_size: refuse an image of another (width, height) (a generator's output).

    Raises:
        ImageRefused: codes ``too_large``, ``not_an_image``, ``wrong_format``,
            ``decompression_bomb``, ``huge_metadata``, ``corrupt_image``, ``wrong_size``.
    """
    if len(data) > MAX_BYTES:
        raise ImageRefused("too_large", f"The {what} is {len(data) / 1e6:.1f} MB; the limit is "
                                        f"{MAX_BYTES // (1024 * 1024)} MB. Upload a smaller or more compressed file.")
    if not data:
        raise ImageRefused("not_an_image", f"The {what} is empty. Choose a JPEG, PNG or WebP file.")
    names = ", ".join(sorted(formats))
    with warnings.catch_warnings():
        # Pillow warns (then errors) past its own pixel limit; both are refusals here.
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            with Image.open(io.BytesIO(data)) as image:
                if image.format not in formats:
                    raise ImageRefused("wrong_format", f"The {what} is {image.format or 'an unknown format'}, "
                                                       f"whatever its name says; upload {names}.")
                width, height = image.size
                if width * height > MAX_PIXELS:
                    raise _bomb(what, width, height)
                exif = image.info.get("exif") or b""
                if len(exif) > MAX_EXIF_BYTES:
                    raise ImageRefused("huge_metadata", f"The {what}'s EXIF metadata is {len(exif) // 1024} KB "
                                                        f"(the limit is {MAX_EXIF_BYTES // 1024} KB). Export it "
                                                        "without metadata (e.g. 'save for web') and try again.")
                image.seek(0)  # an animated file: its first frame
                image.load()
                if exif:
                    image = ImageOps.exif_transpose(image)  # a phone's rotation, then the EXIF is gone
                pixels = image.convert("RGB")
        except ImageRefused:
            raise
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            raise ImageRefused("decompression_bomb", f"The {what} claims more pixels than any photo "
                                                     f"({exc}); upload an image of at most {MAX_PIXELS // 1_000_000} "
                                                     "megapixels.") from exc
        except UnidentifiedImageError as exc:
            raise ImageRefused("not_an_image", f"The {what} is not an image Pillow can read; upload {names}.") from exc
        except (OSError, ValueError, SyntaxError, EOFError) as exc:
            # Truncated data, a corrupt chunk, an oversized text chunk ("Decompressed data too large").
            raise ImageRefused("corrupt_image", f"The {what} could not be decoded ({exc}); re-save it and retry.") from exc
    if expect_size is not None and pixels.size != tuple(expect_size):
        raise ImageRefused("wrong_size", f"The {what} is {pixels.size[0]}x{pixels.size[1]}, expected "
                                         f"{expect_size[0]}x{expect_size[1]}.")
    if max_side is not None and max(pixels.size) > max_side:
        pixels.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    pixels.save(out, format="PNG", optimize=False)  # no pnginfo, no exif, no icc_profile
    return CleanImage(out.getvalue(), pixels.size[0], pixels.size[1])


def _bomb(what: str, width: int, height: int) -> ImageRefused:
    return ImageRefused("decompression_bomb", f"The {what} claims {width}x{height} pixels "
                                              f"({width * height / 1e6:.0f} MP), more than the "
                                              f"{MAX_PIXELS // 1_000_000} MP limit: a decompression bomb or a "
                                              "scan. Upload a smaller image.")
