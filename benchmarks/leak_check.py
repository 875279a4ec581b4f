"""Costs of the split-leak check (arena.core.datasets.perceptual): fingerprinting and comparing.

Run: .venv/bin/python benchmarks/leak_check.py [N_HIDDEN] [N_PUBLIC]
Prints the time to fingerprint one image (at publishing, once per image; then stored), the
time to compare N_HIDDEN stored fingerprints with N_PUBLIC, and the bit distances of
re-encoded / resized copies against those of unrelated images (the margin the threshold has).
"""
from __future__ import annotations

import io
import sys
import time

import numpy as np
from PIL import Image, ImageFilter

from arena.core.datasets.perceptual import NEAR_BITS, Fingerprint, Labelled, find_matches, fingerprint


def _photo_like(seed: int, size=(512, 384)) -> Image.Image:
    rng = np.random.default_rng(seed)
    small = rng.integers(0, 256, (6, 8, 3), dtype=np.uint8)
    img = Image.fromarray(small).resize(size, Image.Resampling.BICUBIC).filter(ImageFilter.GaussianBlur(3))
    noise = rng.normal(0, 12, (size[1], size[0], 3))
    return Image.fromarray(np.clip(np.asarray(img) + noise, 0, 255).astype(np.uint8))


def _encode(img: Image.Image, fmt: str = "PNG", **kw) -> bytes:
    buf = io.BytesIO()
    img.save(buf, fmt, **kw)
    return buf.getvalue()


def main(n_hidden: int = 2000, n_public: int = 20000) -> None:
    images = [_encode(_photo_like(s)) for s in range(50)]
    start = time.perf_counter()
    prints = [fingerprint(data) for data in images]
    per_image = (time.perf_counter() - start) / len(images)
    print(f"fingerprint: {per_image * 1000:.1f} ms per 512x384 PNG")
    copies, unrelated = [], []
    for i, img in enumerate(_photo_like(s) for s in range(50)):
        for data in (_encode(img, "JPEG", quality=75), _encode(img.resize((486, 365)))):
            copies.append(prints[i].distance(fingerprint(data))[0])
        unrelated.append(prints[i].distance(prints[(i + 1) % 50])[0])
    print(f"bits apart: copies (JPEG q75, 95 % resize) max {max(copies)}; unrelated min {min(unrelated)} "
          f"mean {np.mean(unrelated):.1f}; threshold {NEAR_BITS}")
    rng = np.random.default_rng(0)

    def random_set(n: int, tag: str) -> list[Labelled]:
        return [Labelled(f"{tag}{i}", f"{tag}{i}", Fingerprint(int(h), int(m))) for i, (h, m) in
                enumerate(zip(rng.integers(0, 2**63, n, dtype=np.int64), rng.integers(0, 256, n)))]

    hidden, public = random_set(n_hidden, "h"), random_set(n_public, "p")
    start = time.perf_counter()
    found = 0
    for chunk in range(0, n_public, 2000):  # the check compares per public version; 2,000 images each here
        found += len(find_matches(hidden, public[chunk:chunk + 2000]))
    print(f"compare: {n_hidden} x {n_public} fingerprints in {time.perf_counter() - start:.2f} s "
          f"({found} near matches among random hashes)")


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:3]))
