"""Resource limits of one sandbox run: the one definition of each limit and its default.

``Settings.sandbox`` (``SandboxSettings``) extends these with the image and the smoke-run
timeout; a run gets ``settings.sandbox.run_limits(smoke)``, which callers may only tighten.
"""
from __future__ import annotations

from dataclasses import dataclass, fields, replace


class LimitLoosened(ValueError):
    """A caller tried to give a sandbox more than the platform's settings allow."""


# Fields where a larger value is looser; ``use_gpu`` is handled apart (True is looser).
_NUMERIC = ("memory_mb", "cpus", "pids_limit", "timeout_s", "tmpfs_mb", "output_mb", "log_bytes", "nofile")


@dataclass(frozen=True)
class SandboxLimits:
    """What one container may use; every field has a safe, finite value.

    Attributes:
        memory_mb: memory limit; swap is set equal to it (no swap beyond RAM).
        cpus: CPU quota in cores (also the harness's torch thread count).
        pids_limit: processes and threads in the container.
        timeout_s: wall-clock limit enforced by the runner (wait, then kill).
        tmpfs_mb: size of the writable, noexec ``/tmp``.
        output_mb: size of the output tmpfs the PNGs and the report are written to.
        log_bytes: how much of the generator's stdout/stderr is kept.
        nofile: open-file limit.
        use_gpu: request all GPUs through a device request.
    """

    memory_mb: int = 4096
    cpus: float = 2.0
    pids_limit: int = 256
    timeout_s: int = 600
    tmpfs_mb: int = 512
    output_mb: int = 512
    log_bytes: int = 1_000_000
    nofile: int = 1024
    use_gpu: bool = False

    def __post_init__(self) -> None:
        for name in _NUMERIC:
            if not getattr(self, name) > 0:
                raise ValueError(f"sandbox limit {name} must be positive, got {getattr(self, name)!r}")
        if self.memory_mb < 64:
            raise ValueError("sandbox limit memory_mb must be at least 64 (Python alone needs more)")

    def tightened(self, **changes: object) -> SandboxLimits:
        """A copy with some limits lowered.

        Raises:
            LimitLoosened: a change would raise a limit (or turn the GPU on).
            TypeError: an unknown field was named.
        """
        known = {f.name for f in fields(self)}
        for name, value in changes.items():
            if name not in known:
                raise TypeError(f"unknown sandbox limit {name!r}")
            current = getattr(self, name)
            if name == "use_gpu":
                if value and not current:
                    raise LimitLoosened("a caller cannot turn on the GPU that settings turned off")
            elif value > current:  # type: ignore[operator]
                raise LimitLoosened(f"sandbox limit {name} can only be lowered ({current!r} -> {value!r})")
        return replace(self, **changes)  # type: ignore[arg-type]
