"""Process-wide settings, built once from the environment and passed down explicitly.

Only this module reads ``os.environ``; tests build ``Settings(...)`` directly.
"""
from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path

from arena.core.limits import SandboxLimits

ENV_PREFIX = "STYLEARENA_"
# arena/core/settings.py -> the repository root.
PROJECT_ROOT = Path(__file__).resolve().parents[2]


def _default_instance_dir() -> Path:
    return PROJECT_ROOT / "instance"


@dataclass(frozen=True)
class SandboxSettings(SandboxLimits):
    """The platform's sandbox: its image, the smoke run's timeout, and the limits of every run.

    The limit fields and their defaults are ``SandboxLimits``'s own (one definition).
    """

    image: str = "stylearena-sandbox:latest"
    smoke_timeout_s: int = 120

    def run_limits(self, smoke: bool = False) -> SandboxLimits:
        """The limits of one run; ``smoke`` uses the shorter smoke-run timeout."""
        values = {f.name: getattr(self, f.name) for f in fields(SandboxLimits)}
        if smoke:
            values["timeout_s"] = min(self.smoke_timeout_s, self.timeout_s)
        return SandboxLimits(**values)


@dataclass(frozen=True)
class Settings:
    """Everything a web, worker or CLI process needs to know about its environment."""

    database_url: str = ""
    redis_url: str = "redis://127.0.0.1:6390/0"
    data_dir: Path = field(default_factory=lambda: _default_instance_dir() / "data")
    secret_key: str = "dev-only-not-secret"
    docker_host: str = f"unix://{PROJECT_ROOT}/.run/docker/docker.sock"
    weights_dir: Path | None = None
    max_upload_mb: int = 200
    max_attempts: int = 3
    lease_seconds: int = 60
    # First pause before a platform fault is retried; doubled after each attempt (capped at 60 s).
    retry_backoff_s: float = 2.0
    queue_name: str = "evaluations"
    sandbox: SandboxSettings = field(default_factory=SandboxSettings)
    secure_cookies: bool = False
    # Reverse proxies in front of the web app that set X-Forwarded-For/-Proto/-Host. Zero
    # (the default) ignores those headers, so a client cannot spoof its address to dodge
    # the rate limits; set it to the number of proxies you run (nginx alone: 1).
    proxy_hops: int = 0
    # Email notifications (``arena.services.notifications``); an empty host turns them off.
    smtp_host: str = ""
    smtp_port: int = 25
    smtp_from: str = "stylearena@localhost"
    smtp_username: str | None = None
    smtp_password: str | None = None
    smtp_starttls: bool = False
    # The site's address as participants reach it (https://arena.example.org): links in emails
    # start with it; empty gives site-relative links.
    public_url: str = ""
    testing: bool = False

    def __post_init__(self) -> None:
        if not self.database_url:
            object.__setattr__(
                self, "database_url", f"sqlite:///{_default_instance_dir() / 'stylearena.sqlite3'}"
            )
        object.__setattr__(self, "data_dir", Path(self.data_dir))

    @property
    def uploads_dir(self) -> Path:
        """Content-addressed store of uploaded generators."""
        return self.data_dir / "uploads"

    @property
    def datasets_dir(self) -> Path:
        """Content-addressed store of published dataset files."""
        return self.data_dir / "datasets"

    @property
    def outputs_dir(self) -> Path:
        """Content-addressed store of generator outputs kept for rescoring."""
        return self.data_dir / "outputs"

    @property
    def cache_dir(self) -> Path:
        """Reference-statistics cache (keyed by dataset, backbone and metric version)."""
        return self.data_dir / "cache"

    @property
    def work_dir(self) -> Path:
        """Per-evaluation scratch directories."""
        return self.data_dir / "work"

    @property
    def resolved_weights_dir(self) -> Path:
        """Where installed backbone weights live."""
        return self.weights_dir if self.weights_dir is not None else self.data_dir / "weights"

    @property
    def notifications_enabled(self) -> bool:
        """Whether outcome emails are sent (an SMTP host is set)."""
        return bool(self.smtp_host)

    def with_overrides(self, **changes) -> "Settings":
        """A copy with some fields changed (used by tests and the CLI)."""
        return replace(self, **changes)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> "Settings":
        """Build settings from ``STYLEARENA_*`` variables, falling back to embedded defaults."""
        env = os.environ if environ is None else environ
        top: dict[str, object] = {}
        sandbox: dict[str, object] = {}
        for var in ENV_VARS:
            raw = env.get(ENV_PREFIX + var.name)
            if raw is None:
                continue
            target, name = (sandbox, var.field[len("sandbox."):]) if var.field.startswith("sandbox.") else (top, var.field)
            target[name] = var.parse(raw)
        return cls(**top, sandbox=SandboxSettings(**sandbox))  # type: ignore[arg-type]

    def to_env(self) -> dict[str, str]:
        """The ``STYLEARENA_*`` variables that make ``from_env`` rebuild these settings.

        Child processes (workers of the demo and of the tests) get their settings this way;
        ``testing`` is a test-process flag and does not travel.
        """
        env: dict[str, str] = {}
        for var in ENV_VARS:
            owner = self.sandbox if var.field.startswith("sandbox.") else self
            value = getattr(owner, var.field.rsplit(".", 1)[-1])
            if value is not None:
                env[ENV_PREFIX + var.name] = var.format(value)
        return env


def _parse_bool(raw: str) -> bool:
    return raw.strip().lower() in ("1", "true", "yes")


def _format_bool(value: object) -> str:
    return "1" if value else "0"


@dataclass(frozen=True)
class EnvVar:
    """One ``STYLEARENA_<name>`` variable and the settings field it sets."""

    name: str
    field: str  # "sandbox.<limit>" for the sandbox's fields
    parse: Callable[[str], object] = str
    format: Callable[[object], str] = str


# The one table of environment variables: ``from_env`` reads it, ``to_env`` writes it.
ENV_VARS: tuple[EnvVar, ...] = (
    EnvVar("DATABASE_URL", "database_url"),
    EnvVar("REDIS_URL", "redis_url"),
    EnvVar("DATA_DIR", "data_dir", Path),
    EnvVar("SECRET_KEY", "secret_key"),
    EnvVar("DOCKER_HOST", "docker_host"),
    EnvVar("WEIGHTS_DIR", "weights_dir", lambda raw: Path(raw) if raw else None),
    EnvVar("MAX_UPLOAD_MB", "max_upload_mb", int),
    EnvVar("MAX_ATTEMPTS", "max_attempts", int),
    EnvVar("LEASE_SECONDS", "lease_seconds", int),
    EnvVar("RETRY_BACKOFF_S", "retry_backoff_s", float, repr),
    EnvVar("QUEUE", "queue_name"),
    EnvVar("SECURE_COOKIES", "secure_cookies", _parse_bool, _format_bool),
    EnvVar("PROXY_HOPS", "proxy_hops", int),
    EnvVar("SMTP_HOST", "smtp_host"),
    EnvVar("SMTP_PORT", "smtp_port", int),
    EnvVar("SMTP_FROM", "smtp_from"),
    EnvVar("SMTP_USERNAME", "smtp_username", lambda raw: raw or None),
    EnvVar("SMTP_PASSWORD", "smtp_password", lambda raw: raw or None),
    EnvVar("SMTP_STARTTLS", "smtp_starttls", _parse_bool, _format_bool),
    EnvVar("PUBLIC_URL", "public_url"),
    EnvVar("SANDBOX_IMAGE", "sandbox.image"),
    EnvVar("SANDBOX_SMOKE_TIMEOUT_S", "sandbox.smoke_timeout_s", int),
    EnvVar("SANDBOX_MEMORY_MB", "sandbox.memory_mb", int),
    EnvVar("SANDBOX_CPUS", "sandbox.cpus", float, repr),
    EnvVar("SANDBOX_PIDS_LIMIT", "sandbox.pids_limit", int),
    EnvVar("SANDBOX_TIMEOUT_S", "sandbox.timeout_s", int),
    EnvVar("SANDBOX_TMPFS_MB", "sandbox.tmpfs_mb", int),
    EnvVar("SANDBOX_OUTPUT_MB", "sandbox.output_mb", int),
    EnvVar("SANDBOX_LOG_BYTES", "sandbox.log_bytes", int),
    EnvVar("SANDBOX_NOFILE", "sandbox.nofile", int),
    EnvVar("SANDBOX_GPU", "sandbox.use_gpu", _parse_bool, _format_bool),
)
