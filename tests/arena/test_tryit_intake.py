"""Try-it image intake: hostile photos are refused with a clear message, good ones come out clean."""
from __future__ import annotations

import io
import struct
import zlib

import pytest
from PIL import Image

from evaluator.tryit_images import MAX_EXIF_BYTES, MAX_SIDE, ImageRefused, clean_image


def _encode(image: Image.Image, fmt: str, **kwargs) -> bytes:
    buf = io.BytesIO()
    image.save(buf, format=fmt, **kwargs)
    return buf.getvalue()


def _png_claiming(width: int, height: int) -> bytes:
    """A tiny valid-looking PNG whose header claims ``width`` x ``height`` (a decompression bomb)."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    chunk = lambda kind, data: struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))  # noqa: E731
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b"")


def _photo(size=(120, 80)) -> Image.Image:
    image = Image.new("RGB", size, (200, 30, 40))
    image.paste((10, 220, 90), (0, 0, size[0] // 2, size[1]))
    return image


@pytest.mark.parametrize("claimed", [(50_000, 50_000), (9_000, 9_000)])
def test_decompression_bomb_is_refused_before_decoding(claimed):
    with pytest.raises(ImageRefused) as refused:
        clean_image(_png_claiming(*claimed))
    assert refused.value.code == "decompression_bomb"
    assert "megapixel" in refused.value.message or "MP" in refused.value.message


def test_real_bomb_file_is_refused():
    # A genuinely huge, highly compressible image: a few hundred KB on disk, 64 MP decoded.
    data = _encode(Image.new("1", (8_000, 8_000)), "PNG")
    assert len(data) < 2_000_000
    with pytest.raises(ImageRefused) as refused:
        clean_image(data)
    assert refused.value.code == "decompression_bomb"


def test_wrong_extension_is_judged_by_content():
    gif = _encode(_photo(), "GIF")  # the visitor named it photo.jpg: the name is never read
    with pytest.raises(ImageRefused) as refused:
        clean_image(gif)
    assert refused.value.code == "wrong_format" and "GIF" in refused.value.message
    with pytest.raises(ImageRefused) as refused:
        clean_image(b"#!/bin/sh\necho not a picture\n")
    assert refused.value.code == "not_an_image"
    # And a PNG under a .jpg name is simply a PNG.
    assert clean_image(_encode(_photo(), "PNG")).width == 120


def test_huge_exif_is_refused():
    exif = b"Exif\x00\x00II*\x00\x08\x00\x00\x00" + b"\x00" * (MAX_EXIF_BYTES + 1024)
    data = _encode(_photo(), "WEBP", exif=exif)
    with Image.open(io.BytesIO(data)) as check:
        assert len(check.info["exif"]) > MAX_EXIF_BYTES  # the file really carries it
    with pytest.raises(ImageRefused) as refused:
        clean_image(data)
    assert refused.value.code == "huge_metadata" and "without metadata" in refused.value.message


def test_metadata_is_stripped_and_pixels_kept():
    exif = Image.Exif()
    exif[0x010F] = "SecretCam"  # Make
    exif[0x0131] = "gps-tracker 1.0"  # Software
    data = _encode(_photo(), "JPEG", exif=exif.tobytes(), quality=95)
    assert b"SecretCam" in data
    clean = clean_image(data)
    assert b"SecretCam" not in clean.png and b"Exif" not in clean.png
    with Image.open(io.BytesIO(clean.png)) as out:
        assert out.format == "PNG" and out.mode == "RGB" and out.size == (120, 80)
        assert "exif" not in out.info and len(out.getexif()) == 0
        left, right = out.getpixel((10, 40)), out.getpixel((110, 40))
    assert left[1] > 180 and right[0] > 160  # the picture itself survived


def test_large_photo_is_downscaled_and_bytes_capped():
    clean = clean_image(_encode(_photo((2000, 1000)), "PNG"))
    assert max(clean.width, clean.height) == MAX_SIDE and clean.width == 2 * clean.height
    with pytest.raises(ImageRefused) as refused:
        clean_image(b"\x89PNG" + b"\0" * (11 * 1024 * 1024))
    assert refused.value.code == "too_large"


def test_output_check_refuses_wrong_size_and_other_formats():
    with pytest.raises(ImageRefused) as refused:
        clean_image(_encode(_photo(), "PNG"), "result", formats=frozenset({"PNG"}), max_side=None, expect_size=(64, 64))
    assert refused.value.code == "wrong_size"
    with pytest.raises(ImageRefused) as refused:
        clean_image(_encode(_photo(), "JPEG"), "result", formats=frozenset({"PNG"}), max_side=None)
    assert refused.value.code == "wrong_format"
