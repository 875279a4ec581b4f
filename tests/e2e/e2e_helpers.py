"""Helpers for the browser tests (kept out of conftest so tests can import them)."""
from __future__ import annotations

from pathlib import Path

DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}


def shoot(page, artifacts_dir: Path, name: str) -> Path:
    """Save full-page screenshots at desktop and phone widths; returns the desktop one."""
    desktop = artifacts_dir / f"{name}-desktop.png"
    page.set_viewport_size(DESKTOP)
    page.screenshot(path=str(desktop), full_page=True)
    page.set_viewport_size(PHONE)
    page.screenshot(path=str(artifacts_dir / f"{name}-phone.png"), full_page=True)
    page.set_viewport_size(DESKTOP)
    return desktop


def write_image_set(root: Path, name: str, split: str, n_pairs: int, size: int = 64, seed: int = 0) -> Path:
    """A small publishable dataset directory (random RGB images, two styles) with its manifest."""
    import json

    import numpy as np
    from PIL import Image

    rng = np.random.default_rng(seed)
    content = [f"c{i}.png" for i in range(n_pairs)]
    style = [f"s{i}.png" for i in range(min(2, n_pairs))]
    for folder, files in (("content", content), ("style", style)):
        (root / folder).mkdir(parents=True, exist_ok=True)
        for f in files:
            Image.fromarray(rng.integers(0, 256, size=(size, size, 3), dtype=np.uint8), "RGB").save(root / folder / f)
    manifest = {
        "format": 1, "name": name, "split": split, "licence": "CC0 test noise", "content": content, "style": style,
        "pairs": [{"pair_id": f"p{i}", "content": c, "style": style[i % len(style)]} for i, c in enumerate(content)],
    }
    (root / "manifest.json").write_text(json.dumps(manifest))
    return root


def start_private_redis(directory: Path, port: int):
    """A redis-server of this test's own (other suites flush the shared one)."""
    import subprocess
    import time

    import redis

    directory.mkdir(parents=True, exist_ok=True)
    proc = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                             "--appendonly", "no", "--dir", str(directory)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    client = redis.Redis(port=port, socket_connect_timeout=0.5)
    deadline = time.monotonic() + 10
    while True:
        try:
            client.ping()
            break
        except redis.exceptions.ConnectionError:
            if time.monotonic() > deadline:
                proc.kill()
                raise
            time.sleep(0.05)
    client.close()
    return proc
