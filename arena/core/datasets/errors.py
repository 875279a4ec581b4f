"""Errors raised while reading, validating and publishing datasets."""
from __future__ import annotations

from arena.core.errors import ArenaError


class DatasetError(ArenaError):
    """A dataset problem an organizer can fix; the message names the offending file."""


class DatasetInvalid(DatasetError):
    """Validation found one or more problems; ``problems`` lists every one of them."""

    def __init__(self, problems: list[str]) -> None:
        shown = problems[:20]
        more = f"\n  ... and {len(problems) - len(shown)} more" if len(problems) > len(shown) else ""
        message = f"{len(problems)} problem(s) in the dataset:\n  " + "\n  ".join(shown) + more
        super().__init__("dataset_invalid", message)
        self.problems = list(problems)
