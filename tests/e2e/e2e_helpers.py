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
