"""StyleArena on a ``hosts.Network``: its own Redis and PostgreSQL, a web host, worker hosts.

Not a test module. ``Stack.create`` starts the services host (a fresh PostgreSQL cluster and
a redis-server, both bound to that namespace's address only, never the shared dev services),
migrates a database, and gives settings that point every process at those addresses. Worker
hosts run real ``stylearena worker`` processes, the web host ``stylearena serve``.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import redis
import sqlalchemy as sa

from arena.core import migrate
from arena.core.db import make_engine, make_session_factory
from arena.core.enums import EvaluationStatus
from arena.core.models import Evaluation, Score
from arena.core.settings import PROJECT_ROOT, SandboxSettings, Settings
from hosts import PG_PORT, REDIS_PORT, STYLEARENA, WEB_PORT, Host, Network, Process, sh, wait_until

# The Engine scripts/services.sh runs: its run directory follows STYLEARENA_RUN_DIR as the script's
# does, so the soak can drive (and restart) an Engine of its own instead of everyone's.
SHARED_DOCKER = f"unix://{os.environ.get('STYLEARENA_RUN_DIR') or PROJECT_ROOT / '.run'}/docker/docker.sock"
# Small limits: tiny images and a tiny generator need little, and a hung run fails fast.
CLUSTER_SANDBOX = SandboxSettings(image="stylearena-sandbox:latest", memory_mb=1024, cpus=1.0, pids_limit=128,
                                  timeout_s=90, smoke_timeout_s=60, tmpfs_mb=64, output_mb=32, log_bytes=100_000)


def pg_bin() -> Path:
    return sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: int(p.parent.name))[-1]


class Redis:
    """A redis-server on the services host, restartable empty."""

    def __init__(self, host: Host, directory: Path) -> None:
        self.host, self.directory = host, directory
        self.process: Process | None = None
        directory.mkdir(parents=True, exist_ok=True)

    @property
    def url(self) -> str:
        return f"redis://{self.host.address}:{REDIS_PORT}/0"

    def start(self) -> "Redis":
        self.process = self.host.popen("redis", ["redis-server", "--bind", self.host.address, "--port", str(REDIS_PORT),
                                                 "--save", "", "--appendonly", "no", "--protected-mode", "no",
                                                 "--dir", str(self.directory)])
        client = redis.Redis.from_url(self.url, socket_connect_timeout=0.5)
        wait_until(lambda: _pings(client), 15, 0.1, "redis on the services host")
        client.close()
        return self

    def stop(self) -> None:
        if self.process is not None:
            self.process.kill()

    def restart_empty(self) -> None:
        self.stop()
        self.start()


class Postgres:
    """A throw-away PostgreSQL cluster on the services host (trust auth on the cluster subnet)."""

    def __init__(self, host: Host, directory: Path, subnet: str) -> None:
        self.host, self.directory = host, directory
        self.process: Process | None = None
        directory.mkdir(parents=True, exist_ok=True)
        shutil.chown(directory, "postgres", "postgres")
        data = directory / "data"
        sh("runuser", "-u", "postgres", "--", str(pg_bin() / "initdb"), "-D", str(data), "-U", "postgres",
           "--auth=trust", "-E", "UTF8")
        with (data / "pg_hba.conf").open("a") as fh:
            fh.write(f"host all all {subnet}.0/24 trust\n")

    def admin_url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://postgres@{self.host.address}:{PG_PORT}/{database}"

    def start(self) -> "Postgres":
        # fsync off: throw-away data; max_connections for 3 workers + web + reconcilers + soak.
        self.process = self.host.popen("postgres", [
            str(pg_bin() / "postgres"), "-D", str(self.directory / "data"), "-p", str(PG_PORT),
            "-k", str(self.directory), "-c", f"listen_addresses={self.host.address}", "-c", "fsync=off",
            "-c", "synchronous_commit=off", "-c", "full_page_writes=off", "-c", "max_connections=300"],
            user="postgres")
        wait_until(lambda: sh(str(pg_bin() / "pg_isready"), "-h", self.host.address, "-p", str(PG_PORT),
                              check=False).returncode == 0, 30, 0.2, "postgres on the services host")
        return self

    def stop(self) -> None:
        """A fast shutdown, as a database failover or restart does it.

        pg_ctl signals the postmaster itself (the process started here is ``runuser``, which
        does not pass signals on to it).
        """
        if self.process is not None and self.process.alive():
            sh("runuser", "-u", "postgres", "--", str(pg_bin() / "pg_ctl"), "-D", str(self.directory / "data"),
               "-m", "fast", "-w", "-t", "60", "stop", check=False)
            try:
                self.process.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()

    def restart(self) -> None:
        self.stop()
        self.start()


def _pings(client: redis.Redis) -> bool:
    try:
        return bool(client.ping())
    except redis.exceptions.RedisError:
        return False


@dataclass
class Stack:
    """The network, the services, settings for every process, and the processes started."""

    net: Network
    base: Path
    redis: Redis
    postgres: Postgres
    settings: Settings
    factory: sa.orm.sessionmaker
    engine: sa.Engine
    workers: dict[str, Process] = field(default_factory=dict)
    web: Process | None = None
    generation: int = 0

    @classmethod
    def create(cls, base: Path, worker_hosts: int = 3, lease_seconds: int = 6, max_attempts: int = 3,
               docker_host: str = SHARED_DOCKER, **overrides) -> "Stack":
        base.mkdir(parents=True, exist_ok=True)
        os.chmod(base, 0o755)  # the postgres user must reach its data directory
        net = Network.create(base / "logs")
        try:
            svc = net.add_host("svc")
            net.add_host("web")
            for i in range(1, worker_hosts + 1):
                net.add_host(f"w{i}")
            redis_server = Redis(svc, base / "redis").start()
            postgres = Postgres(svc, base / "pg", net.subnet).start()
            admin = make_engine(postgres.admin_url(), isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:
                conn.execute(sa.text('CREATE DATABASE "arena"'))
            admin.dispose()
            migrate.upgrade(postgres.admin_url("arena"))
            settings = Settings(
                database_url=postgres.admin_url("arena"), redis_url=redis_server.url, data_dir=base / "data",
                docker_host=docker_host, sandbox=CLUSTER_SANDBOX, lease_seconds=lease_seconds,
                max_attempts=max_attempts, retry_backoff_s=1.0, secret_key="cluster-secret",
                queue_name=f"cluster-{uuid.uuid4().hex[:6]}", **overrides)
            engine = make_engine(settings.database_url)
            return cls(net, base, redis_server, postgres, settings, make_session_factory(engine), engine)
        except BaseException:
            net.close()
            raise

    # ------------------------------------------------------------ processes
    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("STYLEARENA_")}
        env.update(self.settings.to_env())
        env["PYTHONUNBUFFERED"] = "1"
        return env

    def start_worker(self, host: str, wait: bool = True) -> Process:
        """A ``stylearena worker`` on a worker host; a fresh name each time (RQ keeps dead names a while)."""
        self.generation += 1
        name = f"{host}-{self.generation}"
        process = self.net.hosts[host].popen(name, [str(STYLEARENA), "worker", "--name", name, "--queued-grace", "2"],
                                             env=self.env())
        self.workers[host] = process
        if wait:
            self.wait_ready(process)
        return process

    def start_workers(self, *hosts: str) -> list[Process]:
        started = [self.start_worker(h, wait=False) for h in hosts]
        for process in started:  # loading the metric backbones dominates: start them together
            self.wait_ready(process)
        return started

    def wait_ready(self, process: Process, timeout: float = 240) -> None:
        wait_until(lambda: "Listening on" in process.log_text() or not process.alive(), timeout, 0.5,
                   f"worker {process.name} to start")
        assert process.alive(), process.log_text()[-3000:]

    def start_web(self) -> str:
        """``stylearena serve`` on the web host; returns its base URL (the web host's address)."""
        host = self.net.hosts["web"]
        self.web = host.popen("serve", [str(STYLEARENA), "serve", "--host", host.address, "--port", str(WEB_PORT),
                                        "--workers", "1", "--threads", "4"], env=self.env())
        url = f"http://{host.address}:{WEB_PORT}"
        import urllib.request

        def up() -> bool:
            try:
                return urllib.request.urlopen(url + "/api/v1/openapi.json", timeout=2).status == 200
            except OSError:
                return False

        wait_until(lambda: up() or not self.web.alive(), 90, 0.5, "the web host")
        assert self.web.alive(), self.web.log_text()[-3000:]
        return url

    def logs(self) -> str:
        return "\n".join(f"== {p.name}\n{p.log_text()[-4000:]}" for p in self.net.processes
                         if "redis" not in p.name and "postgres" not in p.name)

    # ------------------------------------------------------------ state
    def redis_client(self) -> redis.Redis:
        return redis.Redis.from_url(self.redis.url, socket_connect_timeout=1, socket_timeout=2)

    def statuses(self, ids: list[int]) -> dict[int, EvaluationStatus]:
        with self.factory() as session:
            rows = session.execute(sa.select(Evaluation.id, Evaluation.status).where(Evaluation.id.in_(ids)))
            return dict(rows.all())

    def evaluation(self, evaluation_id: int) -> Evaluation:
        with self.factory() as session:
            evaluation = session.get(Evaluation, evaluation_id)
            _ = evaluation.scores
            return evaluation

    def score_count(self, evaluation_id: int) -> int:
        with self.factory() as session:
            return session.scalar(sa.select(sa.func.count(Score.id)).where(Score.evaluation_id == evaluation_id))

    def close(self) -> None:
        self.engine.dispose()
        self.net.close()
