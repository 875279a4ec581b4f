"""What a worker process loads once and every job reuses: settings, metric suite, sandbox runner.

The worker installs one ``WorkerContext`` before it starts taking jobs (torch and the metric
backbones load once per process, not per job). Nothing happens at import time.

Fork safety: RQ's default worker forks a work-horse per job. A forked child must not reuse
its parent's database connections, so engines are kept per process id. And GNU OpenMP (which
torch's CPU kernels use) deadlocks in a forked child if the parent had started its thread
team, so the parent loads the backbones single-threaded and the horse restores the thread
count before scoring (see ``enter_job``).
"""
from __future__ import annotations

import os
import platform
import sys
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from arena.core.db import make_engine, make_session_factory
from arena.core.settings import Settings
from evaluator.pipeline import Runner, Scorer
from evaluator.scorer import suite_identity


@dataclass
class WorkerContext:
    """Per-process state of a worker; built by ``build_context`` or directly by tests."""

    settings: Settings
    runner: Runner
    scorer: Scorer
    worker_name: str = field(default_factory=lambda: f"{platform.node()}:{os.getpid()}")
    # Torch threads a job may use; None leaves torch's default alone.
    torch_threads: int | None = None
    # The scorer this process's suite is (computed from ``scorer`` when not given).
    scorer_id: str | None = None
    _engines: dict[int, sa.Engine] = field(default_factory=dict, repr=False)

    def session_factory(self) -> sessionmaker[Session]:
        """A session factory on an engine owned by the calling process (fork-safe)."""
        pid = os.getpid()
        engine = self._engines.get(pid)
        if engine is None:
            for inherited in self._engines.values():
                # Drop the parent's pooled connections without closing the parent's sockets.
                inherited.dispose(close=False)
            self._engines = {pid: make_engine(self.settings.database_url)}
            engine = self._engines[pid]
        return make_session_factory(engine)

    def __post_init__(self) -> None:
        if self.scorer_id is None:
            self.scorer_id = suite_identity(self.scorer).id

    def enter_job(self) -> None:
        """Prepare the (possibly forked) process for one job."""
        if self.torch_threads and "torch" in sys.modules:
            torch = sys.modules["torch"]
            if torch.get_num_threads() != self.torch_threads:
                torch.set_num_threads(self.torch_threads)

    def close(self) -> None:
        """Dispose of this process's engine."""
        for engine in self._engines.values():
            engine.dispose()
        self._engines = {}


_current: WorkerContext | None = None


def install_context(context: WorkerContext | None) -> None:
    """Make ``context`` the one jobs in this process use (None uninstalls)."""
    global _current
    _current = context


def current_context() -> WorkerContext | None:
    """The installed context, if any."""
    return _current


def build_context(settings: Settings, worker_name: str | None = None, fork_safe: bool = True) -> WorkerContext:
    """Load torch, the metric suite and the sandbox runner once for this process.

    With ``fork_safe`` the backbones load on one thread so that forked work-horses can use
    all cores (see the module docstring).
    """
    from evaluator.metrics.suite import MetricSuite  # noqa: PLC0415
    from sandbox.runner import SandboxRunner  # noqa: PLC0415

    from evaluator.metrics.runtime import available_cpus  # noqa: PLC0415

    threads = available_cpus()
    weights = settings.resolved_weights_dir if settings.resolved_weights_dir.is_dir() else None
    # One thread while loading keeps OpenMP's thread team unstarted in the forking parent.
    scorer = MetricSuite.load(weights, threads=1 if fork_safe else None)
    runner = SandboxRunner(settings.docker_host, settings.sandbox.image)
    context = WorkerContext(settings=settings, runner=runner, scorer=scorer, torch_threads=threads)
    if worker_name:
        context.worker_name = worker_name
    return context
