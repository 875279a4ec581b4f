"""Shared fixtures: real services started by scripts/services.sh, fresh migrated databases.

Isolation: each test gets its own database, cloned from one migrated template per session
(a file copy for SQLite, ``CREATE DATABASE ... TEMPLATE`` for PostgreSQL), so tests may
commit for real and share the database with worker processes.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa

from arena.core import migrate
from arena.core.db import make_engine, make_session_factory
from arena.core.settings import PROJECT_ROOT, SandboxSettings, Settings

SERVICES = PROJECT_ROOT / "scripts" / "services.sh"
REDIS_PORT = int(os.environ.get("STYLEARENA_REDIS_PORT", "6390"))
PG_PORT = int(os.environ.get("STYLEARENA_PG_PORT", "5440"))
RUN_DIR = Path(os.environ.get("STYLEARENA_RUN_DIR", PROJECT_ROOT / ".run"))
ARTIFACTS_DIR = PROJECT_ROOT / "test-artifacts"


def run_services(action: str, service: str) -> None:
    """Start or stop one service through the project's own script (idempotent)."""
    subprocess.run(["bash", str(SERVICES), action, service], check=True)


@dataclass(frozen=True)
class Services:
    redis_url: str
    postgres_admin_url: str


@pytest.fixture(scope="session")
def services() -> Services:
    """Redis and PostgreSQL, started (if needed) by the project's services script."""
    run_services("start", "redis")
    run_services("start", "postgres")
    # A Redis database number per pytest process, so suites run side by side on one
    # machine (developers in parallel) cannot flush each other's queues.
    redis_db = 1 + os.getpid() % 15
    return Services(
        redis_url=f"redis://127.0.0.1:{REDIS_PORT}/{redis_db}",
        postgres_admin_url=f"postgresql+psycopg://postgres@127.0.0.1:{PG_PORT}/postgres",
    )


@pytest.fixture(scope="session")
def docker_host() -> str:
    """The project's Docker Engine socket (started on first use)."""
    run_services("start", "docker")
    return f"unix://{RUN_DIR}/docker/docker.sock"


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> Path:
    """A migrated SQLite file that per-test databases are copied from."""
    path = tmp_path_factory.mktemp("sqlite-template") / "template.sqlite3"
    migrate.upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def postgres_template(services) -> str:
    """The name of a migrated PostgreSQL database used as a template for per-test copies."""
    name = f"sa_template_{uuid.uuid4().hex[:8]}"
    admin = make_engine(services.postgres_admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    migrate.upgrade(services.postgres_admin_url.rsplit("/", 1)[0] + f"/{name}")
    yield name
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _fresh_postgres(services: Services, template: str) -> tuple[str, callable]:
    name = f"sa_test_{uuid.uuid4().hex[:10]}"
    admin = make_engine(services.postgres_admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return services.postgres_admin_url.rsplit("/", 1)[0] + f"/{name}", drop


@pytest.fixture
def sqlite_url(sqlite_template, tmp_path) -> str:
    """A fresh, migrated SQLite database for this test."""
    path = tmp_path / "db.sqlite3"
    shutil.copyfile(sqlite_template, path)
    return f"sqlite:///{path}"


@pytest.fixture
def postgres_url(request, services) -> str:
    """A fresh, migrated PostgreSQL database for this test."""
    template = request.getfixturevalue("postgres_template")
    url, drop = _fresh_postgres(services, template)
    yield url
    drop()


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request) -> str:
    """A fresh, migrated database; tests using it run once on SQLite and once on PostgreSQL."""
    return request.getfixturevalue(f"{request.param}_url")


@pytest.fixture
def redis_conn(services):
    """A real Redis connection, flushed before and after the test."""
    import redis

    conn = redis.Redis.from_url(services.redis_url)
    conn.flushdb()
    yield conn
    conn.flushdb()
    conn.close()


@pytest.fixture
def settings(db_url, services, tmp_path) -> Settings:
    """Settings for one test: its own database, data directory and the real Redis."""
    return Settings(
        database_url=db_url,
        redis_url=services.redis_url,
        data_dir=tmp_path / "data",
        secret_key="test-secret",
        docker_host=f"unix://{RUN_DIR}/docker/docker.sock",
        sandbox=SandboxSettings(image="stylearena-sandbox:latest"),
        testing=True,
    )


@pytest.fixture
def session_factory(settings):
    """A session factory bound to this test's database."""
    engine = make_engine(settings.database_url)
    yield make_session_factory(engine)
    engine.dispose()


@pytest.fixture
def db_session(session_factory):
    """One session on this test's database, closed afterwards."""
    session = session_factory()
    yield session
    session.close()


@pytest.fixture(scope="session")
def artifacts_dir() -> Path:
    """Where tests save screenshots and reports for people to look at."""
    ARTIFACTS_DIR.mkdir(exist_ok=True)
    return ARTIFACTS_DIR
