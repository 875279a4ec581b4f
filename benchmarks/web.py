"""Load benchmark of every board route: scored submissions with intervals in PostgreSQL, gunicorn, wrk.

Usage::

    python -P benchmarks/web.py [--submissions 10000] [--duration 10] [--workers 2] [--threads 4] [--connections 8]
                                [--land-every 3] [--routes leaderboard,api,...] [--keep] [--reuse]

Seeds a fresh database on the project's PostgreSQL cluster (127.0.0.1:5440): submissions with
every metric, its bootstrap interval, stored ranks with ties and per-pair values on a small
published hidden set (for the per-style routes). Prints the uncached query time of each
route's data (the cost of one cache refresh) and of the board fingerprint a process reads
once a second, then serves the app with gunicorn on 127.0.0.1 (the same command line as
``stylearena serve``) and runs wrk against each route twice: on an unchanged board, and while
a score lands every ``--land-every`` seconds (each landing changes the board's version: one
process renders the route again in a background thread and shares the copy through Redis,
``arena.web.cache``). Prints requests/s and p50/p99 latency of each pass.

wrk corrects its percentiles for coordinated omission: one request that waits 1 s adds
samples as if the connection had kept sending, so a single slow refresh on the request path
shows as a p99 of hundreds of milliseconds. That is the number a visitor-facing p99 should be.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import numpy as np
import sqlalchemy as sa
from PIL import Image

from arena.core import migrate
from arena.cli.serve_cmd import gunicorn_argv
from arena.core.db import make_engine, make_session_factory, transaction
from arena.core.enums import DatasetSplit, EvaluationStatus, SubmissionFormat, SubmissionStatus
from arena.core.models import BoardRank, Competition, DatasetVersion, Evaluation, Score, Submission, User, utcnow
from arena.core.settings import PROJECT_ROOT, Settings
from arena.services.publishing import publish
# Imported before any pass: importing the evaluator package mid-pass would steal a core.
from evaluator.statistics.board import bump_board_revision

ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5440/postgres"
DB_NAME = "sa_bench_web"
SLUG = "bench"
CHUNK = 5_000  # rows per INSERT: bounded memory at 100,000 submissions
METRIC_NAMES = ("art_fid", "fid", "kid", "lpips", "content_loss", "style_loss")
PER_PAIR_NAMES = ("lpips", "content_loss", "style_loss")
N_STYLES, N_CONTENT = 4, 4
ROUTES = ("leaderboard", "leaderboard.json", "leaderboard.csv", "api", "styles", "styles/1", "competition")


@dataclass(frozen=True)
class WrkResult:
    """What wrk measured for one URL."""

    url: str
    requests_per_s: float
    p50_ms: float
    p99_ms: float
    non_2xx: int


def create_database() -> str:
    """A fresh, migrated benchmark database; returns its URL."""
    subprocess.run(["bash", str(PROJECT_ROOT / "scripts" / "services.sh"), "start", "postgres"], check=True)
    admin = make_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)'))
        conn.execute(sa.text(f'CREATE DATABASE "{DB_NAME}"'))
    admin.dispose()
    url = ADMIN_URL.rsplit("/", 1)[0] + f"/{DB_NAME}"
    migrate.upgrade(url)
    return url


def publish_hidden_set(url: str, data_dir: Path) -> int:
    """A small hidden set, published through the platform (the per-style routes read its manifest)."""
    source = data_dir.parent / "bench-hidden-src"
    shutil.rmtree(source, ignore_errors=True)
    rng = np.random.default_rng(0)
    content = [f"c{i}.png" for i in range(N_CONTENT)]
    style = [f"s{i}.png" for i in range(N_STYLES)]
    for folder, names in (("content", content), ("style", style)):
        (source / folder).mkdir(parents=True)
        for name in names:
            Image.fromarray(rng.integers(0, 255, (64, 64, 3), dtype=np.uint8)).save(source / folder / name)
    pairs = [{"pair_id": f"p{ci}{si}", "content": c, "style": st}
             for ci, c in enumerate(content) for si, st in enumerate(style)]
    (source / "manifest.json").write_text(json.dumps({
        "format": 1, "name": "bench-hidden", "split": "hidden", "licence": "CC0 noise",
        "content": content, "style": style, "pairs": pairs}))
    settings = Settings(database_url=url, data_dir=data_dir)
    engine = make_engine(url)
    with transaction(make_session_factory(engine)) as session:
        version_id = publish(session, settings, source, reference_stats=None).version.id
    engine.dispose()
    return version_id


def seed(url: str, n_submissions: int, n_users: int, hidden_id: int, seed_value: int = 7) -> None:
    """Bulk-insert users and ``n_submissions`` scored submissions: six scores each with their
    intervals, stored ranks with ties for the ranking metric, and per-pair values."""
    rng = random.Random(seed_value)
    engine = make_engine(url)
    now = utcnow()
    pair_ids = [f"p{ci}{si}" for ci in range(N_CONTENT) for si in range(N_STYLES)]
    with engine.begin() as conn:
        sha = hashlib.sha256(b"public").hexdigest()
        public_id = conn.execute(sa.insert(DatasetVersion).returning(DatasetVersion.id), [dict(
            manifest_sha256=sha, name="bench-public", split=DatasetSplit.PUBLIC, n_content=8, n_style=8,
            n_pairs=64, storage_path=sha, licence="CC0", created_at=now)]).scalar_one()
        comp_id = conn.execute(sa.insert(Competition).returning(Competition.id), [dict(
            slug=SLUG, title="Benchmark cup", description="Load **benchmark**.", rules="",
            ranking_metric="art_fid", daily_quota=5, public_dataset_id=public_id,
            hidden_dataset_id=hidden_id, scorer_version="1", created_at=now)]).scalar_one()
        conn.execute(sa.insert(User), [dict(
            id=i + 1, username=f"user{i:05d}", password_hash="x", role="participant", is_active=True,
            created_at=now) for i in range(n_users)])
        conn.execute(sa.text("SELECT setval(pg_get_serial_sequence('users', 'id'), :n)"), {"n": n_users})
        for start in range(0, n_submissions, CHUNK):
            ids = range(start, min(start + CHUNK, n_submissions))
            conn.execute(sa.insert(Submission), [dict(
                id=i + 1, owner_id=rng.randrange(n_users) + 1, competition_id=comp_id, label=f"model v{i}",
                notes="", original_filename="model.pt", sha256=hashlib.sha256(str(i).encode()).hexdigest(),
                size_bytes=1000, format=SubmissionFormat.TORCHSCRIPT, status=SubmissionStatus.SCORED,
                counts_against_quota=True, is_baseline=i < 3,
                created_at=now - timedelta(minutes=n_submissions - i), updated_at=now) for i in ids])
            conn.execute(sa.insert(Evaluation), [dict(
                id=i + 1, submission_id=i + 1, dataset_version_id=hidden_id, scorer_version="1",
                kind="initial", status=EvaluationStatus.SCORED, attempt=1, platform_faults=0,
                provenance={}, timings={}, created_at=now, finished_at=now,
                per_pair={p: {m: rng.uniform(0.1, 3.0) for m in PER_PAIR_NAMES} for p in pair_ids})
                for i in ids])
            scores = []
            for i in ids:
                fid, lpips = rng.uniform(5, 80), rng.uniform(0.1, 0.9)
                values = {"fid": fid, "lpips": lpips, "art_fid": (1 + lpips) * (1 + fid), "kid": rng.uniform(0, 0.1),
                          "content_loss": rng.uniform(0.5, 3), "style_loss": rng.uniform(0.5, 5)}
                for m in METRIC_NAMES:
                    half = values[m] * rng.uniform(0.02, 0.08)
                    scores.append(dict(evaluation_id=i + 1, metric=m, value=round(values[m], 3),
                                       ci_low=values[m] - half, ci_high=values[m] + half,
                                       definition_version="1", calibrated=i % 50 != 0))
            conn.execute(sa.insert(Score), scores)
        # Stored ranks with ties, as evaluator.statistics writes them: ties in runs of three.
        ranked = conn.execute(sa.select(Score.evaluation_id).where(Score.metric == "art_fid")
                              .order_by(Score.value, Score.evaluation_id)).scalars().all()
        rows = [dict(competition_id=comp_id, metric="art_fid", evaluation_id=eid, rank=1 + (k // 3) * 3,
                     beaten_by=(k // 3) * 3, tied=True, separated=k % 3 == 2, statistical=True,
                     protocol="bench", computed_at=now) for k, eid in enumerate(ranked)]
        for start in range(0, len(rows), CHUNK):
            conn.execute(sa.insert(BoardRank), rows[start:start + CHUNK])
        for table in ("submissions", "evaluations"):
            conn.execute(sa.text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), :n)"), {"n": n_submissions})
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(sa.text("ANALYZE"))
    engine.dispose()


def uncached_query_times(url: str, data_dir: Path, repeats: int = 3) -> dict[str, float]:
    """Median seconds of each route's data load without any cache: the cost of one refresh."""
    from arena.services.leaderboard import leaderboard_rows
    from arena.services.per_style import style_table

    settings = Settings(database_url=url, data_dir=data_dir)
    engine = make_engine(url)
    factory = make_session_factory(engine)
    loads = {
        "board page 1 (50 rows)": lambda session, comp: leaderboard_rows(session, comp, None, limit=50),
        "board last page": lambda session, comp: leaderboard_rows(session, comp, None, limit=50,
                                                                   offset=max(0, comp_total(session, comp) - 50)),
        "per-style table (all entries)": lambda session, comp: style_table(session, settings, comp),
        "board fingerprint": lambda session, comp: fingerprint(url, comp.slug),
    }
    out = {}
    for name, load in loads.items():
        times = []
        for _ in range(repeats):
            with factory() as session:
                comp = session.scalar(sa.select(Competition).where(Competition.slug == SLUG))
                t0 = time.perf_counter()
                load(session, comp)
                times.append(time.perf_counter() - t0)
        out[name] = sorted(times)[len(times) // 2]
    engine.dispose()
    return out


def fingerprint(url: str, slug: str):
    """The board version a process reads once a second (``arena.web.board_version``), in an app context."""
    from arena import create_app
    from arena.web.board_version import read_board_version

    global _FINGERPRINT_APP
    if _FINGERPRINT_APP is None:
        _FINGERPRINT_APP = create_app(Settings(database_url=url))
    with _FINGERPRINT_APP.app_context():
        return read_board_version(slug)


_FINGERPRINT_APP = None


class ScoreLandings:
    """A thread landing one scored submission every ``every`` seconds while wrk runs.

    What the web tier sees of a score landing: a new submission with its scores and per-pair
    values, and the board's revision bumped (``evaluator.statistics.board.bump_board_revision``),
    in one transaction. The re-rank that follows in production runs on worker hosts
    (``benchmarks/ranking.py`` measures it), so it is left out here: on this 2-core machine it
    would measure the worker's CPU, not the web's.
    """

    def __init__(self, url: str, every: float) -> None:
        import threading

        self.every, self.landed = every, 0
        self._engine = make_engine(url)
        with self._engine.connect():
            pass  # connect now: a first connection during the pass would be measured as the web's stall
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> "ScoreLandings":
        if self.every > 0:
            self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(30)
        self._engine.dispose()

    def _run(self) -> None:
        rng = random.Random(0)
        pair_ids = [f"p{ci}{si}" for ci in range(N_CONTENT) for si in range(N_STYLES)]
        while not self._stop.wait(self.every):
            now = utcnow()
            with make_session_factory(self._engine)() as session, session.begin():
                comp_id, hidden_id = session.execute(sa.select(Competition.id, Competition.hidden_dataset_id)
                                                     .where(Competition.slug == SLUG)).one()
                owner = session.scalar(sa.select(sa.func.min(User.id)))
                sid = session.execute(sa.insert(Submission).returning(Submission.id), [dict(
                    owner_id=owner, competition_id=comp_id, label="landed", notes="", original_filename="model.pt",
                    sha256=hashlib.sha256(os.urandom(8)).hexdigest(), size_bytes=1000,
                    format=SubmissionFormat.TORCHSCRIPT, status=SubmissionStatus.SCORED, counts_against_quota=True,
                    is_baseline=False, created_at=now, updated_at=now)]).scalar_one()
                eid = session.execute(sa.insert(Evaluation).returning(Evaluation.id), [dict(
                    submission_id=sid, dataset_version_id=hidden_id, scorer_version="1", kind="initial",
                    status=EvaluationStatus.SCORED, attempt=1, platform_faults=0, provenance={}, timings={},
                    created_at=now, finished_at=now,
                    per_pair={p: {m: rng.uniform(0.1, 3.0) for m in PER_PAIR_NAMES} for p in pair_ids})]).scalar_one()
                # Better than every seeded entry, so the landing changes the top of the board.
                session.execute(sa.insert(Score), [dict(
                    evaluation_id=eid, metric=m, value=rng.uniform(0.01, 0.5), definition_version="1",
                    calibrated=True) for m in METRIC_NAMES])
                bump_board_revision(session, comp_id)
            self.landed += 1


def comp_total(session, comp) -> int:
    return session.scalar(sa.select(sa.func.count()).select_from(Submission)
                          .where(Submission.competition_id == comp.id)) or 0


def free_port() -> int:
    """An unused TCP port on 127.0.0.1."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_gunicorn(url: str, port: int, workers: int, threads: int, data_dir: Path) -> subprocess.Popen:
    """gunicorn serving the app factory on 127.0.0.1:port, once it answers."""
    env = dict(os.environ, STYLEARENA_DATABASE_URL=url, STYLEARENA_DATA_DIR=str(data_dir))
    proc = subprocess.Popen(gunicorn_argv("127.0.0.1", port, workers, threads), env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while True:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2).read()
            return proc
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                raise SystemExit("gunicorn did not start:\n" + proc.stderr.read().decode()[-3000:]) from None
            time.sleep(0.3)


def _ms(text: str) -> float:
    value, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", text).groups()
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def run_wrk(url: str, duration: int, connections: int, threads: int) -> WrkResult:
    """Run wrk with latency percentiles and parse its report."""
    out = subprocess.run(["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration}s", "--latency", url],
                         check=True, capture_output=True, text=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p50 = _ms(re.search(r"^\s+50%\s+(\S+)", out, re.M).group(1))
    p99 = _ms(re.search(r"^\s+99%\s+(\S+)", out, re.M).group(1))
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    return WrkResult(url, rps, p50, p99, int(non2xx.group(1)) if non2xx else 0)


def main(argv: list[str] | None = None) -> int:
    """Seed, serve, measure, print."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--submissions", type=int, default=10_000)
    parser.add_argument("--users", type=int, default=2_000)
    parser.add_argument("--duration", type=int, default=10, help="seconds of wrk per URL")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4, help="gunicorn threads per worker (gthread, keep-alive)")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--land-every", type=float, default=3.0,
                        help="seconds between score landings in the second pass of each route (0: no second pass)")
    parser.add_argument("--routes", default=",".join(ROUTES), help="comma-separated routes to measure")
    parser.add_argument("--keep", action="store_true", help="keep the benchmark database")
    parser.add_argument("--reuse", action="store_true", help="reuse a database kept by --keep (no seeding)")
    args = parser.parse_args(argv)

    t0 = time.monotonic()
    data_dir = PROJECT_ROOT / "instance" / "bench-data"
    if args.reuse:
        url = ADMIN_URL.rsplit("/", 1)[0] + f"/{DB_NAME}"
    else:
        url = create_database()
        shutil.rmtree(data_dir, ignore_errors=True)
        seed(url, args.submissions, args.users, publish_hidden_set(url, data_dir))
    print(f"seeded {args.submissions} scored submissions of {args.users} participants in "
          f"{time.monotonic() - t0:.1f} s", flush=True)
    for name, seconds in uncached_query_times(url, data_dir).items():
        print(f"uncached {name:<30} {seconds * 1000:9.1f} ms", flush=True)
    port = free_port()
    proc = start_gunicorn(url, port, args.workers, args.threads, data_dir)
    try:
        site = f"http://127.0.0.1:{port}"
        print(f"gunicorn workers={args.workers} threads={args.threads}, wrk connections={args.connections}, "
              f"{args.duration} s per pass", flush=True)
        for route in args.routes.split(","):
            target = (f"{site}/api/v1/competitions/{SLUG}/leaderboard" if route == "api"
                      else f"{site}/competitions/{SLUG}" if route == "competition"
                      else f"{site}/competitions/{SLUG}/{route}")
            run_wrk(target, 2, args.connections, 1)  # warm-up: connections, imports, plans, first refresh
            passes = [("unchanged board", 0.0)] + ([(f"a score every {args.land_every:g} s", args.land_every)]
                                                    if args.land_every > 0 else [])
            for name, every in passes:
                with ScoreLandings(url, every) as landings:
                    result = run_wrk(target, args.duration, args.connections, 2)
                print(f"{route:<18} {name:<20} {result.requests_per_s:8.0f} req/s   p50 {result.p50_ms:6.2f} ms"
                      f"   p99 {result.p99_ms:6.2f} ms   non-2xx {result.non_2xx}"
                      + (f"   ({landings.landed} landed)" if every else ""), flush=True)
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
        if not args.keep:
            admin = make_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)'))
            admin.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
