"""Run one generator over one image set in a fresh, hardened container (Docker SDK).

How a run goes: create the container from ``container.container_config`` (idle PID 1 under
an init), ``exec`` the harness (under its supervisor, which kills every process of the
sandbox user before the exec ends) as the sandbox user and stream its output into a capped
log while the runner enforces the wall clock (and an optional abort event) by killing the
container; then ``exec`` a tar of the output tmpfs and unpack only plain PNG files into
``output_dir``. The exit code means what ``sandbox/harness/exit_codes.py`` says. The
container is removed on every path. Outputs live on a size-capped tmpfs inside the
container, so a generator cannot fill the worker's disk, and no host directory is ever
writable from inside.
"""
from __future__ import annotations

import tempfile
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import docker
import requests
from docker.errors import APIError, DockerException, ImageNotFound, NotFound

from arena.core.enums import SubmissionFormat
from sandbox import container as spec
from sandbox.efficiency import Efficiency, efficiency_of
from sandbox.engine import connect
from sandbox.errors import (
    GeneratorCrashed,
    HarnessFault,
    InvalidOutput,
    OutOfMemory,
    RunAborted,
    SandboxError,
    SandboxTimeout,
    SandboxUnavailable,
)
from arena.core.limits import SandboxLimits
from sandbox.harness import exit_codes
from sandbox.harness.seeding import REPEAT_SEED
from sandbox.streams import LogBuffer, extract_outputs

__all__ = ["SandboxRunner", "SandboxLimits", "RunResult"]

# The sweeper may remove a container this long after its run's own deadline.
DEADLINE_GRACE_S = 120
COPY_OUT_TIMEOUT_S = 120
_POLL_S = 0.25
_SIGKILLED = exit_codes.SIGNAL_BASE + 9


@dataclass(frozen=True)
class RunResult:
    """What a successful run produced (outputs are in the caller's ``output_dir``)."""

    log: str
    report: dict[str, Any] = field(default_factory=dict)
    duration_s: float = 0.0
    image_id: str = ""
    # The run's cost (``sandbox.efficiency``): None when the report had none or it could not be true.
    efficiency: Efficiency | None = None


def repeat_limits(limits: SandboxLimits) -> SandboxLimits:
    """The limits of a run with a repeat pass: twice the time and output space, nothing else changed.

    The harness generates every pair twice, so a generator that fits its limits once must not
    fail them only because the competition measures diversity. Memory, CPUs and pids stay as
    they are (the second pass runs in the same process, one batch at a time).
    """
    return replace(limits, timeout_s=2 * limits.timeout_s, output_mb=2 * limits.output_mb)


@dataclass
class _Watch:
    exit_code: int = -1
    timed_out: bool = False
    aborted: bool = False


class SandboxRunner:
    """Runs generators in containers of one image, on one Docker Engine."""

    def __init__(self, docker_host: str, image: str) -> None:
        self.docker_host = docker_host
        self.image = image
        self._client: docker.DockerClient | None = None  # made on first use, never at import

    def client(self) -> docker.DockerClient:
        """The Docker client (connected lazily)."""
        if self._client is None:
            self._client = connect(self.docker_host)
        return self._client

    def image_id(self) -> str:
        """The local image's id; the image is never pulled.

        Raises:
            SandboxUnavailable: ``image_missing`` when it has not been built or loaded.
        """
        try:
            return self.client().images.get(self.image).id
        except ImageNotFound as exc:
            raise SandboxUnavailable(
                "image_missing",
                f"The sandbox image {self.image!r} is not on this Docker Engine; build it with "
                "`stylearena sandbox build-image`.",
            ) from exc
        except DockerException as exc:
            raise SandboxUnavailable("docker_unavailable", f"Docker Engine error: {exc}") from exc

    def run(
        self,
        submission_path: Path,
        submission_format: SubmissionFormat,
        inputs_dir: Path,
        output_dir: Path,
        limits: SandboxLimits,
        labels: dict[str, str],
        abort: threading.Event | None = None,
        repeat_dir: Path | None = None,
    ) -> RunResult:
        """Run the generator at ``submission_path`` over ``inputs_dir``, writing PNGs to ``output_dir``.

        Args:
            submission_path: the validated upload (TorchScript file or zip package).
            submission_format: its format (from ``validate_upload``).
            inputs_dir: an image set (content/, style/, pairs.csv); mounted read-only.
            output_dir: empty or missing; receives ``<pair_id>.png`` files.
            limits: the run's limits (``SandboxLimits.from_settings(...).tightened(...)``).
            labels: Docker labels (``stylearena.evaluation``, ``.submission``, ``.attempt``).
            abort: when set, the container is killed and ``RunAborted`` raised.
            repeat_dir: empty or missing; when given, every pair is generated a second time with
                the repeat seed (``harness/seeding.py``) and those PNGs land here, under
                ``repeat_limits``. Validate them like the outputs (``validation.validate_repeat_outputs``).

        Returns:
            The capped log, harness report, duration and image id.

        Raises:
            SandboxTimeout, GeneratorCrashed, OutOfMemory, InvalidOutput: participant faults.
            SandboxUnavailable: Docker is down or the image is missing (platform fault).
            RunAborted: ``abort`` was set.
        """
        output_dir = Path(output_dir)
        _check_paths(Path(submission_path), Path(inputs_dir), output_dir)
        if repeat_dir is not None:
            repeat_dir = Path(repeat_dir)
            _check_empty(repeat_dir)
            limits = repeat_limits(limits)
        command = spec.harness_command(submission_format, limits)
        if repeat_dir is not None:
            command += ["--repeat-seed", str(REPEAT_SEED)]
        image_id = self.image_id()
        client = self.client()
        deadline_ts = int(time.time()) + limits.timeout_s + DEADLINE_GRACE_S
        run_labels = {**labels, spec.LABEL_SANDBOX: "1", spec.LABEL_DEADLINE: str(deadline_ts)}
        started = time.monotonic()
        started_wall = int(time.time()) - 1
        container = None
        try:
            try:
                container = client.containers.create(
                    **spec.container_config(image_id, submission_path, inputs_dir, limits, run_labels)
                )
                container.start()
                exec_id = client.api.exec_create(
                    container.id,
                    command,
                    user=f"{spec.SANDBOX_UID}:{spec.SANDBOX_UID}",
                    environment=spec.harness_environment(limits),
                    workdir="/tmp",
                )["Id"]
            except APIError as exc:
                raise SandboxUnavailable("docker_error", f"Docker refused to start the sandbox: {exc.explanation or exc}") from exc
            log = LogBuffer(limits.log_bytes)
            watch = self._watch(exec_id, container, log, limits.timeout_s, abort)
            duration = time.monotonic() - started
            if watch.aborted:
                raise RunAborted(None, "The run was stopped by the platform (e.g. the worker lost its lease).", log=log.text())
            if watch.timed_out:
                raise SandboxTimeout(
                    None, f"The generator did not finish within {limits.timeout_s}s and was stopped.", log=log.text()
                )
            oom = watch.exit_code in (_SIGKILLED, -9) and _was_oom_killed(client, container, started_wall)
            if oom:
                raise OutOfMemory(
                    None, f"The generator used more than its {limits.memory_mb} MB memory limit and was killed.",
                    log=log.text(),
                )
            report = self._collect(container, output_dir, limits, log, watch.exit_code, abort, repeat_dir)
            outputs = sum(1 for _ in output_dir.iterdir())
            cost = efficiency_of(report, limits, duration, outputs, Path(submission_path).stat().st_size)
            return RunResult(log.text(), report, round(duration, 3), image_id, cost)
        except DockerException as exc:
            raise SandboxUnavailable("docker_error", f"Docker Engine error during the run: {exc}") from exc
        except requests.RequestException as exc:  # the engine went away mid-run
            raise SandboxUnavailable("docker_unavailable", f"Lost the Docker Engine during the run: {exc}") from exc
        finally:
            if container is not None:
                _remove(container)

    def _watch(
        self,
        exec_id: str,
        container: Any,
        log: LogBuffer,
        timeout_s: float,
        abort: threading.Event | None,
    ) -> _Watch:
        """Stream the harness's output until it exits, the deadline passes or ``abort`` is set."""
        api = self.client().api
        stream = api.exec_start(exec_id, stream=True)
        reader = _drain_in_thread(stream, log.feed)
        watch = _Watch()
        deadline = time.monotonic() + timeout_s
        next_poll = time.monotonic() + _POLL_S
        while reader.is_alive():
            now = time.monotonic()
            if abort is not None and abort.is_set():
                watch.aborted = True
                break
            if now >= deadline:
                watch.timed_out = True
                break
            reader.join(min(0.05, deadline - now))
            # The stream can outlive the harness when it left children holding stdout.
            if reader.is_alive() and time.monotonic() >= next_poll:
                next_poll = time.monotonic() + _POLL_S
                if not api.exec_inspect(exec_id)["Running"]:
                    reader.join(0.5)
                    break
        if watch.timed_out or watch.aborted:
            _kill(container)
            reader.join(5)
            return watch
        inspected = api.exec_inspect(exec_id)
        watch.exit_code = int(inspected["ExitCode"]) if inspected["ExitCode"] is not None else -1
        return watch

    def _collect(self, container: Any, output_dir: Path, limits: SandboxLimits, log: LogBuffer, exit_code: int,
                 abort: threading.Event | None, repeat_dir: Path | None = None) -> dict[str, Any]:
        """Copy the outputs out (on success) or just the report (on failure, then raise)."""
        if exit_code == exit_codes.OK:
            output_dir.mkdir(parents=True, exist_ok=True)
            try:
                report = self._copy_out(container, output_dir, limits, abort, repeat_dir)
                if not report:
                    raise InvalidOutput("bad_report", "The harness report (report.json) is missing from the outputs.")
                return report
            except InvalidOutput as exc:
                exc.log = log.text()
                raise
        with tempfile.TemporaryDirectory(prefix="sandbox-failed-") as scratch:
            try:
                report = self._copy_out(container, Path(scratch), limits, abort)
            except InvalidOutput:
                report = {}  # the exit code is the error that matters
        failure = failure_of(exit_code, report, log.text())
        assert failure is not None  # only exit 0 is a success
        raise failure

    def _copy_out(self, container: Any, dest: Path, limits: SandboxLimits, abort: threading.Event | None,
                  repeat_dir: Path | None = None) -> dict[str, Any]:
        """Stream a tar of the container's /out (capped) and unpack its PNGs into ``dest`` (and ``repeat_dir``)."""
        api = self.client().api
        user = f"{spec.SANDBOX_UID}:{spec.SANDBOX_UID}"
        exec_id = api.exec_create(container.id, spec.COPY_OUT_COMMAND, user=user, stderr=False)["Id"]
        cap = limits.output_mb * 1024 * 1024 + (4 << 20)  # tar headers on top of the tmpfs cap
        received = 0
        with tempfile.SpooledTemporaryFile(max_size=16 << 20) as buf:

            def sink(chunk: bytes) -> None:
                nonlocal received
                received += len(chunk)
                if received <= cap:
                    buf.write(chunk)

            reader = _drain_in_thread(api.exec_start(exec_id, stream=True), sink)
            give_up = time.monotonic() + COPY_OUT_TIMEOUT_S
            while reader.is_alive() and time.monotonic() < give_up:
                if abort is not None and abort.is_set():
                    _kill(container)
                    raise RunAborted(None, "The run was stopped by the platform while its outputs were collected.")
                reader.join(0.05)
            if reader.is_alive():
                _kill(container)
                raise InvalidOutput("unreadable_output", "The outputs could not be collected in time.")
            if received > cap:
                raise InvalidOutput("too_large", f"The outputs exceed {limits.output_mb} MB.")
            buf.seek(0)
            return extract_outputs(buf, dest, max_members=100_000, repeat_dir=repeat_dir)


def failure_of(exit_code: int, report: dict[str, Any], log: str) -> SandboxError | None:
    """The error of a harness that exited with ``exit_code`` (None for success); see exit_codes.py.

    ``report`` is the parsed report.json (``streams.parse_report``), participant-writable:
    it only picks the contract code and adds detail, never whose fault a failure is.
    """
    error = report.get("error") if isinstance(report.get("error"), dict) else {}
    detail = str(error.get("message", ""))[:500]
    code = str(error.get("code", ""))
    if exit_code == exit_codes.OK:
        return None
    if exit_code == exit_codes.BAD_INPUTS:
        return HarnessFault(None, f"The sandbox harness rejected the platform's inputs before the generator ran: "
                                  f"{detail or 'see the log'}", log=log)
    if exit_code == exit_codes.CONTRACT:
        if code == "output_write_failed":
            return InvalidOutput("too_large", f"The outputs did not fit in the output directory: {detail}", log=log)
        if code in exit_codes.TABLE[exit_codes.CONTRACT].error_codes:
            return InvalidOutput(code, f"The generator broke the output contract: {detail}", log=log)
        return InvalidOutput(None, "The generator broke the output contract; see the log.", log=log)
    if exit_code == exit_codes.LOAD_FAILED:
        return GeneratorCrashed("load_failed", f"The generator could not be loaded: {detail or 'see the log'}", log=log, exit_code=exit_code)
    if exit_code == exit_codes.GENERATOR_ERROR:
        return GeneratorCrashed("generator_error", f"The generator raised an error: {detail or 'see the log'}", log=log, exit_code=exit_code)
    if exit_code == exit_codes.LINGERING:
        return GeneratorCrashed("lingering_processes", "Processes the generator started could not be stopped when it "
                                "finished; do not leave processes running.", log=log, exit_code=exit_code)
    if exit_code == exit_codes.ABANDONED:
        return GeneratorCrashed("abandoned", "The generator ended the harness before it finished (it exited, or killed "
                                "the process); return from the generator instead.", log=log, exit_code=exit_code)
    if exit_code > exit_codes.SIGNAL_BASE:
        return GeneratorCrashed(None, f"The generator was killed by signal {exit_code - exit_codes.SIGNAL_BASE}; see the log.",
                                log=log, exit_code=exit_code)
    return GeneratorCrashed(None, f"The generator exited with code {exit_code}; see the log.", log=log, exit_code=exit_code)


def _was_oom_killed(client: docker.DockerClient, container: Any, since: int) -> bool:
    """Whether the kernel OOM-killed a process of the container (asked only after a SIGKILL).

    ``State.OOMKilled`` only covers PID 1, and here the harness is an exec'd process, so the
    engine's ``oom`` events are read instead, with the memory cgroup's peak usage (cgroup v1)
    as a fallback.
    """
    events = client.events(since=since, until=int(time.time()) + 1, decode=True,
                           filters={"container": container.id, "event": "oom"})
    try:
        if any(event.get("Action", event.get("status")) == "oom" for event in events):
            return True
    finally:
        events.close()
    memory = client.api.stats(container.id, stream=False, one_shot=True).get("memory_stats", {})
    limit, peak = memory.get("limit") or 0, memory.get("max_usage") or 0
    return bool(limit) and peak >= 0.98 * limit


def _check_paths(submission_path: Path, inputs_dir: Path, output_dir: Path) -> None:
    if not submission_path.is_file():
        raise FileNotFoundError(f"submission file {submission_path} does not exist")
    if not (inputs_dir / "pairs.csv").is_file():
        raise FileNotFoundError(f"{inputs_dir} is not an image set (no pairs.csv)")
    _check_empty(output_dir)


def _check_empty(output_dir: Path) -> None:
    if output_dir.exists() and any(output_dir.iterdir()):
        raise ValueError(f"output_dir {output_dir} must be empty")


def _drain_in_thread(stream: Iterable[bytes], sink: Callable[[bytes], None]) -> threading.Thread:
    """Consume a Docker stream in a daemon thread (the main thread keeps the clock)."""

    def drain() -> None:
        try:
            for chunk in stream:
                sink(chunk)
        except (DockerException, OSError, ValueError):
            # The connection closes under us when the container is killed; that is the end.
            pass

    thread = threading.Thread(target=drain, name="sandbox-stream", daemon=True)
    thread.start()
    return thread


def _kill(container: Any) -> None:
    try:
        container.kill()
    except (NotFound, APIError):
        pass  # already stopped or gone


def _remove(container: Any) -> None:
    try:
        container.remove(force=True, v=True)
    except NotFound:
        pass
    except APIError:
        # A removal already in progress, or dockerd busy: the sweeper removes it later.
        pass
