"""The harness run on the participant's own machine, in a subprocess: no Docker, no root.

``stylearena check`` uses this to run a participant's own generator the way the sandbox
does: the same harness files the image bakes into /opt/stylearena (``harness_sources``),
copied into a scratch folder and started with this Python in isolated mode (``-I``), with
the same arguments and a clean environment; the same report parsing and exit-code table
(``failure_of``) turn its end into the same errors. What it does not give is the sandbox's
isolation and limits (memory, processes, network): it is for code its owner trusts.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from arena.core.enums import SubmissionFormat
from sandbox.errors import InvalidOutput, SandboxError, SandboxTimeout

HARNESS_DIR = Path(__file__).resolve().parent / "harness"
# Standard-library modules of the platform the harness shares (one copy of each rule):
# the image-set layout and pair-id grammar.
SHARED_MODULES = (Path(__file__).resolve().parent.parent / "arena" / "core" / "imageset.py",)
HARNESS_NAME = "harness.py"


def harness_sources(harness_dir: Path = HARNESS_DIR) -> list[Path]:
    """Every file baked into /opt/stylearena: the harness's own and the shared modules."""
    return sorted(Path(harness_dir).glob("*.py")) + list(SHARED_MODULES)


@dataclass(frozen=True)
class LocalRun:
    """A finished local harness run."""

    report: dict[str, Any]
    log: str
    duration_s: float


def install_harness(dest: Path) -> Path:
    """Copy the harness files flat into ``dest`` (as the image does); the harness script's path."""
    dest.mkdir(parents=True, exist_ok=True)
    for path in harness_sources():
        shutil.copyfile(path, dest / path.name)
    return dest / HARNESS_NAME


def harness_environment(threads: int) -> dict[str, str]:
    """The harness's environment: the sandbox's thread settings, PATH and HOME only."""
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": os.environ.get("HOME", "/tmp"),
           "OMP_NUM_THREADS": str(threads), "MKL_NUM_THREADS": str(threads)}
    # Keep a virtual environment's or conda's libraries findable (isolated mode ignores PYTHON*).
    for key in ("LD_LIBRARY_PATH", "CUDA_VISIBLE_DEVICES"):
        if key in os.environ:
            env[key] = os.environ[key]
    return env


def run_local(submission: Path, submission_format: SubmissionFormat, inputs_dir: Path, output_dir: Path,
              timeout_s: float, threads: int = 1, device: str = "cpu",
              on_line: Callable[[str], None] | None = None) -> LocalRun:
    """Run the harness on ``inputs_dir`` in a subprocess, writing ``output_dir/images/*.png``.

    Args:
        on_line: hears each line the harness and the generator print, as they come.

    Raises:
        SandboxError: the same errors (codes and messages) as a sandbox run, from the same
            exit-code table; ``SandboxTimeout`` past ``timeout_s``.
    """
    from sandbox.runner import failure_of
    from sandbox.streams import parse_report

    with tempfile.TemporaryDirectory(prefix="stylearena-check-") as scratch:
        script = install_harness(Path(scratch) / "harness")
        workdir = Path(scratch) / "work"
        workdir.mkdir()
        out = Path(scratch) / "out"
        command = [sys.executable, "-u", "-I", str(script), "--submission", str(Path(submission).resolve()),
                   "--format", SubmissionFormat(submission_format).value, "--inputs", str(Path(inputs_dir).resolve()),
                   "--out", str(out), "--workdir", str(workdir), "--threads", str(threads), "--device", device]
        started = time.monotonic()
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, cwd=workdir,
                                   env=harness_environment(threads), start_new_session=True)
        lines: list[str] = []
        reader = threading.Thread(target=_read_lines, args=(process, lines, on_line), daemon=True)
        reader.start()
        try:
            exit_code = process.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            _kill_group(process)
            reader.join(5)
            raise SandboxTimeout(None, f"The generator did not finish within {timeout_s:g} s.", log="".join(lines))
        finally:
            _kill_group(process)  # anything the generator left running, as the supervisor does
        reader.join(5)
        log = "".join(lines)
        report = _read_report(out, parse_report)
        error = failure_of(exit_code, report, log)
        if error is not None:
            raise error
        if not report:
            raise InvalidOutput("bad_report", "The harness report (report.json) is missing from the outputs.", log=log)
        _move_images(out, output_dir)
        return LocalRun(report=report, log=log, duration_s=time.monotonic() - started)


def _read_lines(process: subprocess.Popen, lines: list[str], on_line: Callable[[str], None] | None) -> None:
    assert process.stdout is not None
    for raw in process.stdout:
        line = raw.decode("utf-8", "replace")
        lines.append(line)
        if on_line is not None:
            on_line(line.rstrip("\n"))


def _kill_group(process: subprocess.Popen) -> None:
    try:
        os.killpg(process.pid, 9)
    except (ProcessLookupError, PermissionError):
        pass
    process.wait()


def _read_report(out: Path, parse_report: Callable[[bytes], dict[str, Any]]) -> dict[str, Any]:
    path = out / "report.json"
    if not path.is_file():
        return {}
    try:
        return parse_report(path.read_bytes().rstrip(b" "))
    except InvalidOutput:
        return {}


def _move_images(out: Path, output_dir: Path) -> None:
    """The harness's images flat into ``output_dir`` (where a sandbox run's copy-out puts them)."""
    dest = Path(output_dir)
    dest.mkdir(parents=True, exist_ok=True)
    if any(dest.iterdir()):
        raise SandboxError("output_not_empty", f"{dest} must be empty.")
    source = out / "images"
    for path in sorted(source.iterdir()) if source.is_dir() else ():
        shutil.move(str(path), str(dest / path.name))
