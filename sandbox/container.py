"""The hardened container a generator runs in: one pure function from limits to Docker settings.

Kept apart from the runner so the security-relevant configuration can be read (and tested)
in one place, without a Docker Engine.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from docker.types import DeviceRequest, LogConfig, Mount, Ulimit

from arena.core.enums import SubmissionFormat
from arena.core.limits import SandboxLimits

# The generator runs as SANDBOX_UID; the container's idle PID 1 runs as another unprivileged
# user so that the generator cannot kill it (which would stop the container and lose /out).
SANDBOX_UID = 10001
IDLE_UID = 65534
HARNESS_PATH = "/opt/stylearena/harness.py"
# What the runner execs: it runs HARNESS_PATH and kills everything of SANDBOX_UID when it ends.
SUPERVISOR_PATH = "/opt/stylearena/supervisor.py"
SUBMISSION_PATH = "/submission/generator"
INPUTS_PATH = "/inputs"
OUT_PATH = "/out"

LABEL_SANDBOX = "stylearena.sandbox"
LABEL_EVALUATION = "stylearena.evaluation"
LABEL_SUBMISSION = "stylearena.submission"
LABEL_ATTEMPT = "stylearena.attempt"
LABEL_DEADLINE = "stylearena.deadline"


def container_config(
    image_id: str,
    submission_path: Path,
    inputs_dir: Path,
    limits: SandboxLimits,
    labels: dict[str, str],
) -> dict[str, Any]:
    """Keyword arguments for ``client.containers.create``: safe defaults, sized by ``limits``.

    Network off, read-only root, no capabilities, no-new-privileges, private IPC, an init,
    pid/memory/CPU limits (swap equal to memory), noexec tmpfs for /tmp and the output dir,
    ulimits on open files, file size and core dumps, read-only submission and inputs, a
    capped json-file log, no environment from the caller.
    """
    file_cap = max(limits.tmpfs_mb, limits.output_mb) * 1024 * 1024
    tmpfs_opts = "rw,noexec,nosuid,nodev,mode=1777"
    config: dict[str, Any] = dict(
        image=image_id,
        command=["sleep", "infinity"],
        user=f"{IDLE_UID}:{IDLE_UID}",
        hostname="sandbox",
        working_dir="/tmp",
        environment={},
        network_mode="none",
        read_only=True,
        cap_drop=["ALL"],
        security_opt=["no-new-privileges:true"],
        ipc_mode="private",
        shm_size="64m",
        init=True,
        pids_limit=limits.pids_limit,
        mem_limit=f"{limits.memory_mb}m",
        memswap_limit=f"{limits.memory_mb}m",
        nano_cpus=int(limits.cpus * 1e9),
        tmpfs={
            "/tmp": f"{tmpfs_opts},size={limits.tmpfs_mb}m",
            OUT_PATH: f"{tmpfs_opts},size={limits.output_mb}m",
        },
        ulimits=[
            Ulimit(name="nofile", soft=limits.nofile, hard=limits.nofile),
            Ulimit(name="fsize", soft=file_cap, hard=file_cap),
            Ulimit(name="core", soft=0, hard=0),
        ],
        mounts=[
            Mount(SUBMISSION_PATH, str(Path(submission_path).resolve()), type="bind", read_only=True),
            Mount(INPUTS_PATH, str(Path(inputs_dir).resolve()), type="bind", read_only=True),
        ],
        labels=dict(labels),
        # The generator's output reaches us through the exec stream, capped there; this only
        # bounds what PID 1 could ever log.
        log_config=LogConfig(type="json-file", config={"max-size": "1m", "max-file": "1"}),
        detach=True,
    )
    if limits.use_gpu:
        config["device_requests"] = [DeviceRequest(count=-1, capabilities=[["gpu"]])]
    return config


def harness_command(submission_format: SubmissionFormat, limits: SandboxLimits) -> list[str]:
    """The command line inside the container: the supervisor, then the harness's own arguments."""
    return [
        "python3", "-u", "-I", SUPERVISOR_PATH, "--uid", str(SANDBOX_UID), "--",
        "--submission", SUBMISSION_PATH,
        "--format", SubmissionFormat(submission_format).value,
        "--inputs", INPUTS_PATH,
        "--out", OUT_PATH,
        "--workdir", "/tmp",
        "--threads", str(max(1, int(limits.cpus))),
        "--device", "cuda" if limits.use_gpu else "cpu",
    ]


def harness_environment(limits: SandboxLimits) -> dict[str, str]:
    """The whole environment of the generator: nothing from the worker's environment."""
    threads = str(max(1, int(limits.cpus)))
    return {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "HOME": "/tmp",
        "OMP_NUM_THREADS": threads,
        "MKL_NUM_THREADS": threads,
        "TORCH_HOME": "/tmp/torch",
        "MPLCONFIGDIR": "/tmp",
    }


# Streams /out as a tar to stdout. The supervisor has already killed every process of the
# sandbox uid when the harness's exec ends; the kill here covers a run whose supervisor the
# generator killed (a failure, whose report is read for its message only).
COPY_OUT_COMMAND = ["/bin/sh", "-c", f"kill -9 -1 2>/dev/null; kill -9 -1 2>/dev/null; exec tar -C {OUT_PATH} -cf - ."]
