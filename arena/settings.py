"""Process-wide settings, built once from the environment and passed down explicitly.

Only this module reads ``os.environ``; tests build ``Settings(...)`` directly.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path

ENV_PREFIX = "STYLEARENA_"
PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _default_instance_dir() -> Path:
    return PROJECT_ROOT / "instance"


@dataclass(frozen=True)
class SandboxSettings:
    """Limits and identity of the sandbox a generator runs in; callers may only tighten them."""

    image: str = "stylearena-sandbox:latest"
    memory_mb: int = 4096
    cpus: float = 2.0
    pids_limit: int = 256
    timeout_s: int = 600
    smoke_timeout_s: int = 120
    tmpfs_mb: int = 512
    output_mb: int = 512
    log_bytes: int = 1_000_000
    use_gpu: bool = False


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

    def with_overrides(self, **changes) -> "Settings":
        """A copy with some fields changed (used by tests and the CLI)."""
        return replace(self, **changes)

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> "Settings":
        """Build settings from ``STYLEARENA_*`` variables, falling back to embedded defaults."""
        env = os.environ if environ is None else environ

        def get(name: str, default=None):
            return env.get(ENV_PREFIX + name, default)

        sandbox_defaults = SandboxSettings()
        sandbox = SandboxSettings(
            image=get("SANDBOX_IMAGE", sandbox_defaults.image),
            memory_mb=int(get("SANDBOX_MEMORY_MB", sandbox_defaults.memory_mb)),
            cpus=float(get("SANDBOX_CPUS", sandbox_defaults.cpus)),
            pids_limit=int(get("SANDBOX_PIDS_LIMIT", sandbox_defaults.pids_limit)),
            timeout_s=int(get("SANDBOX_TIMEOUT_S", sandbox_defaults.timeout_s)),
            smoke_timeout_s=int(get("SANDBOX_SMOKE_TIMEOUT_S", sandbox_defaults.smoke_timeout_s)),
            tmpfs_mb=int(get("SANDBOX_TMPFS_MB", sandbox_defaults.tmpfs_mb)),
            output_mb=int(get("SANDBOX_OUTPUT_MB", sandbox_defaults.output_mb)),
            log_bytes=int(get("SANDBOX_LOG_BYTES", sandbox_defaults.log_bytes)),
            use_gpu=get("SANDBOX_GPU", "0") in ("1", "true", "yes"),
        )
        defaults = cls()
        weights = get("WEIGHTS_DIR")
        return cls(
            database_url=get("DATABASE_URL", defaults.database_url),
            redis_url=get("REDIS_URL", defaults.redis_url),
            data_dir=Path(get("DATA_DIR", str(defaults.data_dir))),
            secret_key=get("SECRET_KEY", defaults.secret_key),
            docker_host=get("DOCKER_HOST", defaults.docker_host),
            weights_dir=Path(weights) if weights else None,
            max_upload_mb=int(get("MAX_UPLOAD_MB", defaults.max_upload_mb)),
            max_attempts=int(get("MAX_ATTEMPTS", defaults.max_attempts)),
            lease_seconds=int(get("LEASE_SECONDS", defaults.lease_seconds)),
            retry_backoff_s=float(get("RETRY_BACKOFF_S", defaults.retry_backoff_s)),
            queue_name=get("QUEUE", defaults.queue_name),
            sandbox=sandbox,
            secure_cookies=get("SECURE_COOKIES", "0") in ("1", "true", "yes"),
            proxy_hops=int(get("PROXY_HOPS", defaults.proxy_hops)),
        )
