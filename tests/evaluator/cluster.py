"""A throw-away evaluation cluster for fault and soak tests (not a test module).

Its own PostgreSQL database (cloned from the migrated template), its own redis-server, its
own data directory, and real ``stylearena worker`` processes on the project's Docker Engine.
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from pathlib import Path

import docker
import sqlalchemy as sa
from pipeline_fixtures import TEST_SANDBOX, RedisServer, WorkerProcess, World, make_world, wait_until

from arena.core.db import make_engine, make_session_factory
from arena.core.enums import EvaluationStatus
from arena.core.models import Evaluation, Score
from arena.core.settings import SandboxSettings, Settings


@dataclass
class Cluster:
    """Settings, a session factory, the Redis server, a world and the worker processes."""

    settings: Settings
    factory: sa.orm.sessionmaker
    redis: RedisServer
    world: World
    log_dir: Path
    workers: dict[str, WorkerProcess] = field(default_factory=dict)
    retired: list[WorkerProcess] = field(default_factory=list)
    generation: int = 0

    def spawn(self, name: str, wait: bool = True) -> WorkerProcess:
        """Start a worker process (and by default wait until it listens on the queue)."""
        worker = WorkerProcess(self.settings, name, self.log_dir)
        self.retired.append(worker)  # every process ever started is stopped at teardown
        if wait:
            self.wait_ready(worker)
        return worker

    def wait_ready(self, worker: WorkerProcess) -> None:
        wait_until(lambda: "Listening on" in worker.log_text() or not worker.alive(), 240, 0.5,
                   f"worker {worker.name} to start")
        assert worker.alive(), worker.log_text()[-3000:]

    def ensure_workers(self, *names: str) -> list[WorkerProcess]:
        """One live worker per base name, (re)started where dead.

        A respawned worker gets a fresh name: RQ refuses a name whose dead owner's
        registration has not expired yet (production names are host.pid, unique anyway).
        """
        started = []
        for base in names:
            worker = self.workers.get(base)
            if worker is None or not worker.alive():
                self.generation += 1
                worker = self.workers[base] = self.spawn(f"{base}{self.generation}", wait=False)
                started.append(worker)
        for worker in started:  # loading the metric backbones dominates: start them together
            self.wait_ready(worker)
        return [self.workers[base] for base in names]

    def logs(self) -> str:
        """The tail of every worker's log (for assertion messages)."""
        return "\n".join(f"== {w.name}\n{w.log_text()[-4000:]}" for w in self.retired)

    def stop_all(self) -> None:
        for worker in self.retired:
            worker.stop()

    def evaluation(self, evaluation_id: int) -> Evaluation:
        with self.factory() as session:
            evaluation = session.get(Evaluation, evaluation_id)
            _ = evaluation.submission, evaluation.scores
            return evaluation

    def statuses(self, ids: list[int]) -> dict[int, EvaluationStatus]:
        with self.factory() as session:
            rows = session.execute(sa.select(Evaluation.id, Evaluation.status).where(Evaluation.id.in_(ids)))
            return dict(rows.all())

    def score_counts(self, ids: list[int]) -> dict[int, int]:
        with self.factory() as session:
            rows = session.execute(sa.select(Score.evaluation_id, sa.func.count(Score.id))
                                   .where(Score.evaluation_id.in_(ids)).group_by(Score.evaluation_id))
            return dict(rows.all())

    def containers(self, evaluation_id: int | None = None) -> list:
        """Sandbox containers on the Engine (of one evaluation, or of this cluster's data)."""
        client = docker.DockerClient(base_url=self.settings.docker_host)
        try:
            labels = ["stylearena.sandbox=1"]
            if evaluation_id is not None:
                labels.append(f"stylearena.evaluation={evaluation_id}")
            return client.containers.list(all=True, filters={"label": labels})
        finally:
            client.close()


def create_cluster(tmp: Path, admin_url: str, template: str, docker_host: str, lease_seconds: int = 6,
                   max_attempts: int = 3, public: bool = False, n_pairs: int = 2,
                   sandbox: SandboxSettings | None = None) -> tuple[Cluster, callable]:
    """Build a cluster; returns it and a teardown function."""
    name = f"sa_cluster_{uuid.uuid4().hex[:10]}"
    admin = make_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
    redis_server = RedisServer(tmp / "redis").start()
    settings = Settings(
        database_url=admin_url.rsplit("/", 1)[0] + f"/{name}", redis_url=redis_server.url,
        data_dir=tmp / "data", docker_host=docker_host, sandbox=sandbox or TEST_SANDBOX,
        lease_seconds=lease_seconds, max_attempts=max_attempts, testing=True,
    )
    engine = make_engine(settings.database_url)
    factory = make_session_factory(engine)
    world = make_world(settings, factory, tmp / "sets", public=public, n_pairs=n_pairs, quota=100_000)
    cluster = Cluster(settings, factory, redis_server, world, tmp / "logs")

    def teardown() -> None:
        cluster.stop_all()
        redis_server.stop()
        engine.dispose()
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return cluster, teardown
