"""The sandbox's expected failures: each has a stable ``code`` and a participant-safe ``message``.

``platform_fault`` separates what the participant must fix (a crash, a timeout, bad outputs)
from what the operator must fix (Docker down, image missing); the pipeline retries only the
latter.
"""
from __future__ import annotations


class SandboxError(Exception):
    """Base of every sandbox failure; ``code`` is stable, ``message`` is safe to show."""

    platform_fault: bool = False
    default_code: str = "sandbox_error"

    def __init__(self, code: str | None, message: str, *, log: str = "") -> None:
        super().__init__(message)
        self.code = code or self.default_code
        self.message = message
        # The generator's own (capped) output; participant-controlled text.
        self.log = log

    def __repr__(self) -> str:
        return f"{type(self).__name__}(code={self.code!r}, message={self.message!r})"


class UploadRejected(SandboxError):
    """The uploaded file is not an acceptable generator (checked on the host, nothing run)."""

    default_code = "upload_rejected"


class InvalidOutput(SandboxError):
    """The generator ran but its outputs break the output contract."""

    default_code = "invalid_output"


class SandboxTimeout(SandboxError):
    """The generator did not finish within its wall-clock limit and was killed."""

    default_code = "timeout"


class GeneratorCrashed(SandboxError):
    """The generator (or its loading) exited with an error."""

    default_code = "generator_crashed"

    def __init__(self, code: str | None, message: str, *, log: str = "", exit_code: int | None = None) -> None:
        super().__init__(code, message, log=log)
        self.exit_code = exit_code


class OutOfMemory(SandboxError):
    """The generator exceeded its memory limit and was killed by the kernel."""

    default_code = "out_of_memory"


class SandboxUnavailable(SandboxError):
    """The platform cannot run sandboxes right now (Docker down, image missing); retry later."""

    platform_fault = True
    default_code = "sandbox_unavailable"


class HarnessFault(SandboxError):
    """The harness rejected its own arguments, inputs or image before any participant code ran.

    Only the platform prepares those, so this is retried and never charged; the harness exit
    codes and whose fault each is are in ``sandbox/harness/exit_codes.py``.
    """

    platform_fault = True
    default_code = "harness_bad_inputs"


class RunAborted(SandboxError):
    """The caller asked to stop (e.g. its lease was lost); the container was killed."""

    platform_fault = True
    default_code = "aborted"


class ImageBuildError(SandboxError):
    """Building the sandbox image failed; the message names the step and how to fix it."""

    platform_fault = True
    default_code = "image_build_failed"
