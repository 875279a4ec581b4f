"""Byte counts for people: the one format every page, message and API text uses.

Sizes are binary (1 MB = 1024 × 1024 bytes), as every limit setting (``max_upload_mb``,
``memory_mb``, ``output_mb``) is multiplied out; one decimal, dropped when it is zero, so the
upload limit reads "200 MB" wherever it appears and a file just over it reads "200.4 MB".
"""
from __future__ import annotations

MB = 1024 * 1024
_UNITS = ("B", "KB", "MB", "GB", "TB")


def human_size(n_bytes: int | float | None) -> str:
    """``n_bytes`` as ``"200 MB"``, ``"12.3 MB"``, ``"512 KB"`` or ``"900 B"`` (an em dash for None)."""
    if n_bytes is None:
        return "—"
    size = float(n_bytes)
    for unit in _UNITS:
        if abs(size) < 1024 or unit == _UNITS[-1]:
            if unit == "B":
                return f"{int(size)} B"
            text = f"{size:.1f}"
            return f"{text.removesuffix('.0')} {unit}"
        size /= 1024
    raise AssertionError("unreachable")
