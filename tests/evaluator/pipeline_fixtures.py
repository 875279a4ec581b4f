"""Helpers for the evaluation-pipeline tests (not a test module): worlds, runners, services."""
from __future__ import annotations

import csv
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
import redis
from PIL import Image
from sqlalchemy.orm import Session, sessionmaker

from scorerfixtures import seeded_scorer_id
from arena.services.publishing import publish
from arena.core.db import transaction
from arena.core.enums import CompetitionStatus, SubmissionFormat, UserRole
from arena.core.models import Competition, User
from arena.services.accounts import create_user
from arena.core.settings import SandboxSettings, Settings
from sandbox.errors import GeneratorCrashed, RunAborted, SandboxUnavailable
from sandbox.runner import RunResult

STYLEARENA = Path(sys.executable).with_name("stylearena")
# Small limits: tiny images and a tiny generator need little, and a hung test fails fast.
TEST_SANDBOX = SandboxSettings(image="stylearena-sandbox:latest", memory_mb=1024, cpus=1.0, pids_limit=128,
                               timeout_s=60, smoke_timeout_s=60, tmpfs_mb=64, output_mb=32, log_bytes=100_000)


def wait_until(predicate: Callable[[], object], timeout: float, interval: float = 0.2, what: str = "condition"):
    """Poll ``predicate`` until it returns a truthy value; fail the test after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


# ---------------------------------------------------------------- data
def write_image_set(root: Path, name: str, split: str, n_pairs: int = 2, size: int = 64, seed: int = 0) -> Path:
    """A publishable dataset directory: ``n_pairs`` content images and two styles, alternating."""
    rng = np.random.default_rng(seed)
    content = [f"c{i}.png" for i in range(n_pairs)]
    style = [f"s{i}.png" for i in range(min(2, n_pairs))]
    for folder, files in (("content", content), ("style", style)):
        (root / folder).mkdir(parents=True, exist_ok=True)
        for f in files:
            arr = rng.integers(0, 256, size=(size, size, 3), dtype=np.uint8)
            Image.fromarray(arr, "RGB").save(root / folder / f, format="PNG")
    manifest = {
        "format": 1, "name": name, "split": split, "licence": "CC0 test noise", "content": content,
        "style": style, "pairs": [{"pair_id": f"p{i}", "content": c, "style": style[i % len(style)]}
                                  for i, c in enumerate(content)],
    }
    (root / "manifest.json").write_text(json.dumps(manifest))
    return root


@dataclass(frozen=True)
class World:
    """Ids of one participant and one competition with published datasets."""

    user_id: int
    competition_id: int
    slug: str
    hidden_id: int
    public_id: int | None


def make_world(settings: Settings, factory: sessionmaker[Session], tmp: Path, public: bool = True,
               n_pairs: int = 2, quota: int = 50, slug: str = "arena") -> World:
    """A participant and an open competition whose hidden (and public) sets are published."""
    with transaction(factory) as session:
        user = create_user(session, f"user-{slug}", "correct horse battery", role=UserRole.PARTICIPANT)
        hidden = publish(session, settings, write_image_set(tmp / f"{slug}-hidden", f"{slug}-hidden", "hidden",
                                                            n_pairs, seed=1), reference_stats=None).version
        public_v = None
        if public:
            public_v = publish(session, settings, write_image_set(tmp / f"{slug}-public", f"{slug}-public",
                                                                  "public", 1, seed=2), reference_stats=None).version
        competition = Competition(slug=slug, title=slug, status=CompetitionStatus.OPEN, daily_quota=quota,
                                  hidden_dataset_id=hidden.id, public_dataset_id=public_v.id if public_v else None,
                                  scorer_version=seeded_scorer_id())
        session.add(competition)
        session.flush()
        return World(user.id, competition.id, slug, hidden.id, public_v.id if public_v else None)


def publish_extra_hidden(settings: Settings, factory: sessionmaker[Session], tmp: Path, seed: int = 7) -> int:
    """Publish another hidden dataset version (for dataset-change rescores); returns its id."""
    with transaction(factory) as session:
        return publish(session, settings, write_image_set(tmp / f"hidden-{seed}", f"hidden-{seed}", "hidden", 2,
                                                          seed=seed), reference_stats=None).version.id


def write_generator(path: Path) -> Path:
    """A tiny TorchScript generator (the sandbox package's example)."""
    from sandbox.examples import write_torchscript_generator

    return write_torchscript_generator(path)


def upload(settings: Settings, factory: sessionmaker[Session], world: World, generator: Path, label: str = "") -> int:
    """Upload through the real service (validate, store, commit, enqueue); returns the submission id."""
    from arena.services.submissions import create_submission

    with transaction(factory) as session:
        return create_submission(session, settings, session.get(User, world.user_id),
                                 session.get(Competition, world.competition_id), upload_path=generator,
                                 original_filename=generator.name, label=label).id


# ---------------------------------------------------------------- a fake runner
class FakeRunner:
    """Stands in for ``SandboxRunner`` in unit-level tests: writes outputs without Docker.

    ``modes`` gives the behaviour of each successive run (the last one repeats): ``ok``
    (outputs are the content images), ``crash``, ``unavailable``, ``wrong_size``, or ``hang``
    (waits until aborted). ``calls`` counts runs, so tests can see that none happened.
    """

    def __init__(self, *modes: str, on_run: Callable[[], None] | None = None) -> None:
        self.modes = modes or ("ok",)
        self.calls = 0
        self.on_run = on_run

    def run(self, submission_path: Path, submission_format: SubmissionFormat, inputs_dir: Path, output_dir: Path,
            limits, labels: dict[str, str], abort: threading.Event | None = None) -> RunResult:
        mode = self.modes[min(self.calls, len(self.modes) - 1)]
        self.calls += 1
        if self.on_run is not None:
            self.on_run()
        if mode == "unavailable":
            raise SandboxUnavailable("docker_unavailable", "Docker Engine is not reachable.")
        if mode == "crash":
            raise GeneratorCrashed("generator_crashed", "Your generator raised RuntimeError.",
                                   log=f"Traceback: RuntimeError: boom in {inputs_dir.name}\n")
        if mode == "hang":
            assert abort is not None and abort.wait(60), "the hanging run was never aborted"
            raise RunAborted(None, "aborted")
        output_dir.mkdir(parents=True, exist_ok=True)
        with (inputs_dir / "pairs.csv").open() as fh:
            for row in csv.DictReader(fh):
                image = Image.open(inputs_dir / "content" / row["content"]).convert("RGB")
                if mode == "wrong_size":
                    image = image.resize((image.width - 8, image.height))
                image.save(output_dir / f"{row['pair_id']}.png", format="PNG")
        return RunResult(log=f"fake run over {inputs_dir.name}\n", report={"total_s": 0.01, "device": "cpu"},
                         duration_s=0.01, image_id="sha256:fake")


# ---------------------------------------------------------------- real services
def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class RedisServer:
    """A private ``redis-server`` (never the shared one), startable, stoppable, restartable empty."""

    def __init__(self, directory: Path, port: int | None = None) -> None:
        self.directory = directory
        self.port = port or free_port()
        self.proc: subprocess.Popen | None = None
        directory.mkdir(parents=True, exist_ok=True)

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> "RedisServer":
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(self.directory), "--logfile", str(self.directory / "redis.log")],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        client = redis.Redis(port=self.port, socket_connect_timeout=0.5)
        wait_until(lambda: _pings(client), 10, 0.05, "redis-server to start")
        client.close()
        return self

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)
        self.proc = None

    def restart_empty(self) -> None:
        self.stop()
        self.start()

    def client(self) -> redis.Redis:
        return redis.Redis.from_url(self.url)


def _pings(client: redis.Redis) -> bool:
    try:
        return bool(client.ping())
    except redis.exceptions.ConnectionError:
        return False


def worker_env(settings: Settings) -> dict[str, str]:
    """The environment a ``stylearena worker`` subprocess needs to share this test's services."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("STYLEARENA_")}
    env.update(settings.to_env())
    env["PYTHONUNBUFFERED"] = "1"
    return env


class WorkerProcess:
    """A real ``stylearena worker`` subprocess (RQ's forking worker) with its log in a file."""

    def __init__(self, settings: Settings, name: str, log_dir: Path, queued_grace: float = 2.0) -> None:
        self.name = name
        self.log_path = log_dir / f"{name}.log"
        log_dir.mkdir(parents=True, exist_ok=True)
        self._log = self.log_path.open("ab")
        self.proc = subprocess.Popen(
            [str(STYLEARENA), "worker", "--name", name, "--queued-grace", str(queued_grace)],
            env=worker_env(settings), stdout=self._log, stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: the horse can be killed with it
        )

    def alive(self) -> bool:
        return self.proc.poll() is None

    def kill_all(self) -> None:
        """SIGKILL the worker and its work-horse together (its whole process group)."""
        if self.alive():
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)

    def kill_worker_only(self) -> None:
        """SIGKILL only the worker process (a work-horse, if any, is orphaned)."""
        if self.alive():
            self.proc.kill()
            self.proc.wait(10)

    def stop(self) -> None:
        if self.alive():
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.proc.wait(10)
        self._log.close()

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace")


def copy_tree(src: Path, dest: Path) -> None:
    """Copy a directory (used to keep artefacts of failed soaks)."""
    shutil.copytree(src, dest, dirs_exist_ok=True)
