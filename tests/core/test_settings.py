"""Settings: the environment table, and the round trip that child processes rely on."""
from __future__ import annotations

from dataclasses import fields
from pathlib import Path

from arena.core.limits import SandboxLimits
from arena.core.settings import ENV_VARS, SandboxSettings, Settings

# A test-process flag: child processes are never in testing mode.
NOT_IN_ENV = {"testing"}


def _every_field_changed(tmp_path: Path) -> Settings:
    """Settings where every field differs from its default, so a dropped variable shows."""
    return Settings(
        database_url="postgresql+psycopg://u@db:5432/x", redis_url="redis://10.0.0.2:6379/3",
        data_dir=tmp_path / "data", secret_key="s3cret", docker_host="tcp://10.0.0.9:2375",
        weights_dir=tmp_path / "w", max_upload_mb=17, max_attempts=5, lease_seconds=7,
        retry_backoff_s=0.25, queue_name="q-test", secure_cookies=True, proxy_hops=2,
        smtp_host="mail.example.org", smtp_port=587, smtp_from="arena@example.org", smtp_username="arena",
        smtp_password="pw", smtp_starttls=True, public_url="https://arena.example.org",
        sandbox=SandboxSettings(image="img:1", smoke_timeout_s=11, memory_mb=1000, cpus=0.5,
                                pids_limit=33, timeout_s=44, tmpfs_mb=55, output_mb=66,
                                log_bytes=777, nofile=88, use_gpu=True),
    )


def test_every_setting_has_an_environment_variable():
    covered = {var.field for var in ENV_VARS}
    top = {f.name for f in fields(Settings)} - NOT_IN_ENV - {"sandbox"}
    sandbox = {f"sandbox.{f.name}" for f in fields(SandboxSettings)}
    assert covered == top | sandbox


def test_fixture_differs_from_defaults_everywhere(tmp_path):
    changed, default = _every_field_changed(tmp_path), Settings()
    for var in ENV_VARS:
        owner_c = changed.sandbox if var.field.startswith("sandbox.") else changed
        owner_d = default.sandbox if var.field.startswith("sandbox.") else default
        name = var.field.rsplit(".", 1)[-1]
        assert getattr(owner_c, name) != getattr(owner_d, name), var.field


def test_to_env_round_trips(tmp_path):
    settings = _every_field_changed(tmp_path)
    env = settings.to_env()
    assert all(key.startswith("STYLEARENA_") for key in env)
    assert Settings.from_env(env) == settings


def test_defaults_round_trip_and_unset_weights_stay_unset():
    env = Settings().to_env()
    assert "STYLEARENA_WEIGHTS_DIR" not in env
    assert Settings.from_env(env) == Settings() == Settings.from_env({})


def test_sandbox_limits_are_defined_once():
    # SandboxSettings adds only the image and the smoke timeout to the limits.
    extra = {f.name for f in fields(SandboxSettings)} - {f.name for f in fields(SandboxLimits)}
    assert extra == {"image", "smoke_timeout_s"}
    assert SandboxSettings().run_limits() == SandboxLimits()
