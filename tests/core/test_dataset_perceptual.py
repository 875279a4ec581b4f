"""The perceptual fingerprint behind the leak and reference-copy checks: copies found, others not."""
from __future__ import annotations

import io

import numpy as np
from PIL import Image, ImageFilter

from arena.core.datasets.perceptual import (
    NEAR_BITS,
    Fingerprint,
    Labelled,
    find_matches,
    fingerprint,
    from_signed,
    to_signed,
)


def _photo(seed: int, size=(320, 240)) -> Image.Image:
    rng = np.random.default_rng(seed)
    small = rng.integers(0, 256, (5, 7, 3), dtype=np.uint8)
    return Image.fromarray(small).resize(size, Image.Resampling.BICUBIC).filter(ImageFilter.GaussianBlur(2))


def _bytes(img: Image.Image, fmt="PNG", **kw) -> bytes:
    buf = io.BytesIO()
    img.save(buf, fmt, **kw)
    return buf.getvalue()


def test_reencoded_and_resized_copies_are_near_and_unrelated_images_are_not():
    originals = [_photo(s) for s in range(30)]
    prints = [fingerprint(_bytes(img)) for img in originals]
    for img, fp in zip(originals, prints):
        jpeg = fingerprint(_bytes(img, "JPEG", quality=75))
        resized = fingerprint(_bytes(img.resize((304, 228), Image.Resampling.BILINEAR)))
        assert fp.near(jpeg) and fp.near(resized), (fp.distance(jpeg), fp.distance(resized))
    unrelated = [prints[i].distance(prints[j]) for i in range(30) for j in range(i + 1, 30)]
    assert min(bits for bits, _ in unrelated) > NEAR_BITS
    assert not any(prints[i].near(prints[j]) for i in range(30) for j in range(i + 1, 30))


def test_the_same_structure_at_another_brightness_is_not_a_copy():
    ramp = Image.linear_gradient("L").resize((256, 256))
    dark, light = ramp.crop((0, 0, 96, 96)), ramp.crop((150, 150, 246, 246))
    a, b = fingerprint(_bytes(dark)), fingerprint(_bytes(light))
    assert not a.near(b) and a.distance(b)[1] > 100


def test_find_matches_reports_exact_and_near_across_blocks():
    images = [Labelled(f"h{i}", f"sha{i}", Fingerprint(i * 0x9E3779B97F4A7C15 % (1 << 64), 100)) for i in range(1500)]
    others = [Labelled("copy", "sha7", Fingerprint(12345, 0)),  # same bytes as h7, another fingerprint
              Labelled("near", "x", Fingerprint(images[1400].print.phash ^ 0b111, 105)),
              Labelled("far", "y", Fingerprint(images[3].print.phash ^ ((1 << 40) - 1), 100))]
    found = {(m.image.label, m.other.label): m for m in find_matches(images, others)}
    assert set(found) == {("h7", "copy"), ("h1400", "near")}
    assert found[("h7", "copy")].exact and not found[("h1400", "near")].exact
    assert (found[("h1400", "near")].bits, found[("h1400", "near")].levels) == (3, 5)


def test_signed_storage_round_trips():
    for value in (0, 1, (1 << 63) - 1, 1 << 63, (1 << 64) - 1):
        assert -(1 << 63) <= to_signed(value) < 1 << 63 and from_signed(to_signed(value)) == value
