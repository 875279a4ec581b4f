"""SandboxLimits: taken from settings, only ever tightened; the container config that uses them."""
from __future__ import annotations

from pathlib import Path

import pytest

from arena.core.enums import SubmissionFormat
from arena.core.settings import SandboxSettings
from sandbox.container import container_config, harness_command, harness_environment
from arena.core.limits import LimitLoosened, SandboxLimits


def test_run_limits_carry_every_limit_and_the_smoke_timeout():
    settings = SandboxSettings(memory_mb=2048, cpus=1.5, pids_limit=99, timeout_s=300, smoke_timeout_s=30,
                               tmpfs_mb=64, output_mb=32, log_bytes=5000, nofile=77, use_gpu=True)
    limits = settings.run_limits()
    assert type(limits) is SandboxLimits
    assert (limits.memory_mb, limits.cpus, limits.pids_limit, limits.timeout_s, limits.use_gpu) == (2048, 1.5, 99, 300, True)
    assert (limits.tmpfs_mb, limits.output_mb, limits.log_bytes, limits.nofile) == (64, 32, 5000, 77)
    assert settings.run_limits(smoke=True).timeout_s == 30
    # The smoke timeout never exceeds the run timeout.
    assert SandboxSettings(timeout_s=20, smoke_timeout_s=30).run_limits(smoke=True).timeout_s == 20


def test_tightened_lowers_and_refuses_loosening():
    limits = SandboxSettings().run_limits()
    tight = limits.tightened(memory_mb=256, timeout_s=5, use_gpu=False)
    assert (tight.memory_mb, tight.timeout_s) == (256, 5)
    with pytest.raises(LimitLoosened):
        tight.tightened(memory_mb=257)
    with pytest.raises(LimitLoosened):
        SandboxLimits(use_gpu=False).tightened(use_gpu=True)
    with pytest.raises(TypeError):
        limits.tightened(network=True)
    with pytest.raises(ValueError):
        limits.tightened(pids_limit=0)


def test_container_config_is_hardened(tmp_path: Path):
    (tmp_path / "sub.pt").write_bytes(b"x")
    limits = SandboxLimits(memory_mb=512, cpus=1.0, pids_limit=32, tmpfs_mb=64, output_mb=16)
    config = container_config("sha256:abc", tmp_path / "sub.pt", tmp_path, limits, {"stylearena.evaluation": "7"})
    assert config["network_mode"] == "none" and config["read_only"] is True
    assert config["cap_drop"] == ["ALL"] and config["security_opt"] == ["no-new-privileges:true"]
    assert config["ipc_mode"] == "private" and config["init"] is True and config["pids_limit"] == 32
    assert config["mem_limit"] == config["memswap_limit"] == "512m"
    assert config["nano_cpus"] == 1_000_000_000
    assert "size=64m" in config["tmpfs"]["/tmp"] and "noexec" in config["tmpfs"]["/tmp"]
    assert "size=16m" in config["tmpfs"]["/out"]
    assert all(m["ReadOnly"] for m in config["mounts"])
    assert config["environment"] == {} and config["user"] != "0" and config["image"] == "sha256:abc"
    assert {u["Name"] for u in config["ulimits"]} == {"nofile", "fsize", "core"}
    assert "device_requests" not in config
    gpu = container_config("sha256:abc", tmp_path / "sub.pt", tmp_path, SandboxLimits(use_gpu=True), {})
    assert gpu["device_requests"][0]["Capabilities"] == [["gpu"]]


def test_harness_gets_no_worker_environment(monkeypatch):
    monkeypatch.setenv("STYLEARENA_SECRET_KEY", "do-not-leak")
    env = harness_environment(SandboxLimits())
    assert "do-not-leak" not in " ".join(env.values()) and set(env) >= {"PATH", "HOME"}
    assert "package" in harness_command(SubmissionFormat.PACKAGE, SandboxLimits())
