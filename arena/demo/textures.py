"""Style images: recoloured sample textures and procedurally generated painterly textures.

Every function is a pure function of its arguments (seeded ``numpy`` generators, fixed
drawing order), so the demo datasets' bytes — and their version hashes — are reproducible.
"""
from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

Palette = tuple[tuple[int, int, int], ...]

PALETTES: dict[str, Palette] = {
    "starry": ((16, 30, 82), (38, 76, 160), (96, 150, 210), (240, 214, 90), (250, 240, 180)),
    "sunset": ((60, 14, 40), (170, 40, 50), (236, 110, 40), (250, 190, 80), (255, 240, 200)),
    "forest": ((20, 40, 20), (50, 100, 40), (120, 160, 60), (200, 200, 120), (90, 60, 30)),
    "ocean": ((0, 30, 50), (0, 90, 120), (40, 160, 170), (170, 220, 210), (250, 250, 240)),
    "ember": ((20, 10, 10), (110, 20, 10), (200, 70, 20), (250, 160, 40), (255, 230, 150)),
    "pastel": ((240, 200, 210), (190, 220, 240), (210, 240, 200), (250, 240, 190), (120, 110, 160)),
    "ink": ((10, 10, 20), (60, 60, 80), (150, 140, 120), (230, 220, 200), (180, 40, 40)),
    "lilac": ((40, 20, 60), (110, 60, 140), (180, 120, 200), (230, 190, 240), (250, 250, 220)),
}


def _ramp(values: np.ndarray, palette: Palette) -> np.ndarray:
    """Map ``[0,1]`` values through a piecewise-linear colour ramp; returns ``uint8 [H,W,3]``."""
    colours = np.asarray(palette, dtype=np.float64)
    pos = np.clip(values, 0.0, 1.0) * (len(colours) - 1)
    low = np.floor(pos).astype(int).clip(0, len(colours) - 2)
    frac = (pos - low)[..., None]
    rgb = colours[low] * (1 - frac) + colours[low + 1] * frac
    return np.clip(rgb + 0.5, 0, 255).astype(np.uint8)


def _smooth_noise(rng: np.random.Generator, size: int, cells: int) -> np.ndarray:
    """Smooth noise in ``[0,1]``: a coarse random grid upsampled bicubically."""
    coarse = rng.random((cells, cells))
    img = Image.fromarray((coarse * 255).astype(np.uint8), "L").resize((size, size), Image.Resampling.BICUBIC)
    return np.asarray(img, dtype=np.float64) / 255.0


def recolour(grey_rgb: np.ndarray, palette: Palette, size: int, crop: tuple[int, int, int]) -> Image.Image:
    """A grey texture cropped at ``(x, y, side)``, resized, contrast-stretched and recoloured."""
    x, y, side = crop
    patch = Image.fromarray(grey_rgb[y:y + side, x:x + side]).convert("L").resize((size, size), Image.Resampling.LANCZOS)
    values = np.asarray(patch, dtype=np.float64)
    lo, hi = np.percentile(values, (2, 98))
    return Image.fromarray(_ramp((values - lo) / max(hi - lo, 1.0), palette), "RGB")


def brush_strokes(seed: int, palette: Palette, size: int, strokes: int = 900) -> Image.Image:
    """Impasto-like short strokes following a smooth flow field."""
    rng = np.random.default_rng(seed)
    base = _ramp(_smooth_noise(rng, size, 4), palette)
    img = Image.fromarray(base, "RGB")
    draw = ImageDraw.Draw(img)
    angle_field = _smooth_noise(rng, size, 5) * 2 * np.pi
    colours = np.asarray(palette, dtype=np.float64)
    for _ in range(strokes):
        x, y = rng.integers(0, size, 2)
        theta = angle_field[y, x]
        length = rng.uniform(0.04, 0.12) * size
        dx, dy = np.cos(theta) * length / 2, np.sin(theta) * length / 2
        colour = colours[rng.integers(0, len(colours))] + rng.normal(0, 12, 3)
        width = int(rng.integers(2, max(3, size // 24)))
        draw.line([(x - dx, y - dy), (x + dx, y + dy)], fill=tuple(int(c) for c in np.clip(colour, 0, 255)), width=width)
    return img.filter(ImageFilter.SMOOTH)


def swirls(seed: int, palette: Palette, size: int) -> Image.Image:
    """Concentric swirls around a few centres (a starry-night flavour)."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:size, 0:size] / size
    field = np.zeros((size, size))
    for _ in range(3):
        cx, cy = rng.random(2)
        r = np.hypot(xx - cx, yy - cy)
        a = np.arctan2(yy - cy, xx - cx)
        field += np.sin(r * rng.uniform(25, 45) + a * rng.integers(1, 4) + rng.uniform(0, 6.28)) / (1 + 4 * r)
    field += 0.6 * _smooth_noise(rng, size, 6)
    field = (field - field.min()) / (np.ptp(field) + 1e-9)
    return Image.fromarray(_ramp(field, palette), "RGB").filter(ImageFilter.GaussianBlur(0.6))


def mosaic(seed: int, palette: Palette, size: int, cells: int = 40) -> Image.Image:
    """Voronoi tiles with dark grout (a stained-glass flavour)."""
    rng = np.random.default_rng(seed)
    points = rng.random((cells, 2)) * size
    yy, xx = np.mgrid[0:size, 0:size]
    dist = np.hypot(xx[..., None] - points[:, 0], yy[..., None] - points[:, 1])
    order = np.sort(dist, axis=2)
    nearest = np.argmin(dist, axis=2)
    colours = np.asarray(palette, dtype=np.float64)[rng.integers(0, len(palette), cells)]
    colours = colours + rng.normal(0, 10, colours.shape)
    rgb = colours[nearest]
    grout = (order[..., 1] - order[..., 0]) < 1.6
    rgb[grout] = (25, 20, 20)
    return Image.fromarray(np.clip(rgb, 0, 255).astype(np.uint8), "RGB")


def pointillism(seed: int, palette: Palette, size: int, dots: int = 1500) -> Image.Image:
    """Dense round dots of palette colours over a light ground."""
    rng = np.random.default_rng(seed)
    img = Image.new("RGB", (size, size), tuple(int(c) for c in np.asarray(palette[-1]) * 0.9 + 20))
    draw = ImageDraw.Draw(img)
    shade = _smooth_noise(rng, size, 4)
    colours = np.asarray(palette, dtype=np.float64)
    for _ in range(dots):
        x, y = rng.integers(0, size, 2)
        idx = int(np.clip(shade[y, x] * len(colours) + rng.normal(0, 0.8), 0, len(colours) - 1))
        r = rng.uniform(1.2, 2.8) * size / 128
        colour = tuple(int(c) for c in np.clip(colours[idx] + rng.normal(0, 10, 3), 0, 255))
        draw.ellipse([x - r, y - r, x + r, y + r], fill=colour)
    return img
