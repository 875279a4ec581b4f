"""Per-competition sandbox limits: a competition may give its runs less time or memory than the
platform's caps (``Settings.sandbox``), never more.

The competition stores its own values (None: the platform's). ``check_competition_limits``
refuses values above the caps when an organizer sets them; ``run_limits_for`` takes the
smaller of the two again at run time, so a cap lowered later still wins.
"""
from __future__ import annotations

from arena.core.errors import ArenaError
from arena.core.limits import SandboxLimits
from arena.core.settings import SandboxSettings

MIN_MEMORY_MB = 64  # SandboxLimits' own floor: Python alone needs more


class LimitsRefused(ArenaError):
    """A per-competition limit outside what the platform allows."""


def check_competition_limits(sandbox: SandboxSettings, timeout_s: int | None, memory_mb: int | None) -> None:
    """Refuse limits above the platform's caps (or too small to run), naming the caps.

    Raises:
        LimitsRefused: a value is not within the caps.
    """
    if timeout_s is not None and not 1 <= timeout_s <= sandbox.timeout_s:
        raise LimitsRefused("bad_limit", f"Sandbox time limit {timeout_s} s is outside 1-{sandbox.timeout_s} s "
                                         f"(the platform's cap, STYLEARENA_SANDBOX_TIMEOUT_S).")
    if memory_mb is not None and not MIN_MEMORY_MB <= memory_mb <= sandbox.memory_mb:
        raise LimitsRefused("bad_limit", f"Sandbox memory limit {memory_mb} MB is outside {MIN_MEMORY_MB}-"
                                         f"{sandbox.memory_mb} MB (the platform's cap, STYLEARENA_SANDBOX_MEMORY_MB).")


def run_limits_for(sandbox: SandboxSettings, timeout_s: int | None, memory_mb: int | None,
                   smoke: bool = False) -> SandboxLimits:
    """One run's limits: the platform's (``run_limits(smoke)``) tightened by the competition's."""
    base = sandbox.run_limits(smoke)
    changes = {}
    if timeout_s is not None:
        changes["timeout_s"] = min(base.timeout_s, timeout_s)
    if memory_mb is not None:
        changes["memory_mb"] = min(base.memory_mb, max(memory_mb, MIN_MEMORY_MB))
    return base.tightened(**changes)
