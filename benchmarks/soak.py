"""The long soak: N submissions through worker hosts while seeded random faults are injected.

Usage::

    python benchmarks/soak.py [--n 200] [--workers 3] [--seed 1] [--kinds all] [--docker-restart]
                              [--mean-gap-s 20] [--timeout-s 3600]

Builds a cluster of network-namespace hosts (tests/cluster/hosts.py: its own Redis and
PostgreSQL on a services host, workers on their own hosts), uploads N tiny submissions (the
example TorchScript generator, a 2-pair hidden set) through the submission service, and
injects faults at seeded random times (exponential gaps of ``--mean-gap-s``), cycling through
the enabled kinds in a seeded order so that every kind occurs:

- ``worker_kill``: SIGKILL a worker process only (its work-horse dies by PDEATHSIG);
- ``worker_horse_kill``: SIGKILL the worker and its work-horse together (the process group);
- ``partition``: cut a worker host's link for one to two lease periods, then heal it;
- ``redis_restart``: Redis killed and started empty (every queued job gone);
- ``postgres_restart``: PostgreSQL fast shutdown and start;
- ``docker_restart``: the Docker Engine restarted (only with ``--docker-restart``: the dev
  Engine is shared with everyone's tests on this machine). To restart an Engine of the soak's
  own instead, give it its own run directory and data root, and build the image there first::

      export STYLEARENA_RUN_DIR=/tmp/soak-run STYLEARENA_DOCKER_DATA_ROOT=/var/lib/stylearena-docker-soak
      bash scripts/services.sh start docker
      STYLEARENA_DOCKER_HOST=unix://$STYLEARENA_RUN_DIR/docker/docker.sock stylearena sandbox build-image
      python -P benchmarks/soak.py --docker-restart

A killed worker is started again on its host. It stops by itself: when no submission is
queued or running, or at ``--timeout-s`` (then the open ones count as lost). It prints the
table (faults by kind, outcomes by code, attempts histogram, lost, duplicated score sets,
wall time, time per submission) and exits non-zero if anything was lost or duplicated.
"""
from __future__ import annotations

import argparse
import random
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if __name__ == "__main__":
    sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]
    sys.path[:0] = [str(ROOT / "tests" / "cluster"), str(ROOT / "tests" / "evaluator"), str(ROOT / "tests")]

KINDS = ("worker_kill", "worker_horse_kill", "partition", "redis_restart", "postgres_restart", "docker_restart")


@dataclass
class Report:
    n: int
    faults: Counter = field(default_factory=Counter)
    statuses: Counter = field(default_factory=Counter)
    failure_codes: Counter = field(default_factory=Counter)
    attempts: Counter = field(default_factory=Counter)
    lost: int = 0
    duplicated: int = 0
    missing_scores: int = 0
    wall_s: float = 0.0
    mean_evaluation_s: float | None = None
    workers: int = 0
    redis_commands: int = 0
    pg_transactions: int = 0
    pg_connections_max: int = 0

    def ok(self) -> bool:
        return self.lost == 0 and self.duplicated == 0 and self.missing_scores == 0

    def table(self) -> str:
        rows = [("submissions", str(self.n)), ("worker hosts", str(self.workers))]
        rows += [(f"fault: {k}", str(v)) for k, v in sorted(self.faults.items())]
        rows += [(f"outcome: {k}", str(v)) for k, v in sorted(self.statuses.items())]
        rows += [(f"failed: {k}", str(v)) for k, v in sorted(self.failure_codes.items())]
        rows += [(f"attempts = {k}", str(v)) for k, v in sorted(self.attempts.items())]
        rows += [("lost (must be 0)", str(self.lost)), ("duplicated scores (must be 0)", str(self.duplicated)),
                 ("scored without a full score set", str(self.missing_scores)),
                 ("wall time", f"{self.wall_s:.0f} s"),
                 ("wall time per submission", f"{self.wall_s / max(1, self.n):.2f} s"),
                 ("mean evaluation time (one attempt)", f"{self.mean_evaluation_s} s"),
                 ("Redis commands/s (all clients)", f"{self.redis_commands / max(1.0, self.wall_s):.1f}"),
                 ("PostgreSQL transactions/s", f"{self.pg_transactions / max(1.0, self.wall_s):.1f}"),
                 ("PostgreSQL connections (peak)", str(self.pg_connections_max))]
        width = max(len(k) for k, _ in rows)
        return "\n".join(f"{k:<{width}}  {v:>8}" for k, v in rows)


class LoadSampler:
    """Counts Redis commands and PostgreSQL commits over the run, across restarts of either."""

    def __init__(self, stack) -> None:
        self.stack = stack
        self.last = {"redis": 0, "pg": 0}
        self.total = {"redis": 0, "pg": 0}
        self.connections_max = 0

    def _add(self, key: str, value: int) -> None:
        # A restarted server counts from zero again.
        self.total[key] += value - self.last[key] if value >= self.last[key] else value
        self.last[key] = value

    def sample(self) -> None:
        import sqlalchemy as sa  # noqa: PLC0415

        try:
            client = self.stack.redis_client()
            self._add("redis", int(client.info("stats")["total_commands_processed"]))
            client.close()
        except Exception:  # noqa: BLE001 - down during a fault: sampled next time
            pass
        try:
            with self.stack.engine.connect() as conn:
                commits = conn.scalar(sa.text("SELECT xact_commit FROM pg_stat_database WHERE datname = 'arena'"))
                connections = conn.scalar(sa.text("SELECT count(*) FROM pg_stat_activity WHERE datname = 'arena'"))
            self._add("pg", int(commits))
            self.connections_max = max(self.connections_max, int(connections))
        except Exception:  # noqa: BLE001
            pass


class Injector:
    """Injects one fault of a kind into a stack; keeps killed workers restarted."""

    def __init__(self, stack, rng: random.Random, worker_hosts: list[str]) -> None:
        self.stack, self.rng, self.hosts = stack, rng, worker_hosts
        self.healers: list[threading.Timer] = []

    def inject(self, kind: str) -> None:
        stack, host = self.stack, self.rng.choice(self.hosts)
        if kind in ("worker_kill", "worker_horse_kill"):
            worker = stack.workers[host]
            if worker.alive():
                worker.kill(group=kind == "worker_horse_kill")
            stack.start_worker(host, wait=False)
        elif kind == "partition":
            net_host = stack.net.hosts[host]
            net_host.cut()
            lease = stack.settings.lease_seconds
            timer = threading.Timer(self.rng.uniform(lease, 2 * lease), net_host.heal)
            timer.daemon = True
            timer.start()
            self.healers.append(timer)
        elif kind == "redis_restart":
            stack.redis.restart_empty()
        elif kind == "postgres_restart":
            stack.postgres.restart()
        elif kind == "docker_restart":
            subprocess.run(["bash", str(ROOT / "scripts" / "services.sh"), "restart", "docker"], check=True)
        else:
            raise ValueError(f"unknown fault kind {kind!r}; choose from {', '.join(KINDS)}")

    def finish(self) -> None:
        for timer in self.healers:
            timer.cancel()
        for name in self.hosts:
            self.stack.net.hosts[name].heal()


def wait_for_database(stack, timeout_s: float = 60.0) -> None:
    import sqlalchemy as sa  # noqa: PLC0415

    deadline = time.monotonic() + timeout_s
    while True:
        try:
            with stack.engine.connect() as conn:
                conn.execute(sa.text("SELECT 1"))
            return
        except sa.exc.DBAPIError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)


def run_soak(stack, cluster_world, n: int, kinds: list[str], seed: int = 1, mean_gap_s: float = 20.0,
             timeout_s: float = 3600.0, max_faults: int | None = None, log=print) -> Report:
    """Upload ``n`` submissions into ``cluster_world`` and drive them to the end under faults."""
    from cluster_world import outcome  # noqa: PLC0415 - on sys.path only via tests/ or __main__
    from evaluator.metrics.catalog import METRICS  # noqa: PLC0415
    from sqlalchemy import exc as sa_exc  # noqa: PLC0415

    rng = random.Random(seed)
    hosts = sorted(stack.workers)
    injector = Injector(stack, rng, hosts)
    report = Report(n=n, workers=len(hosts))
    started = time.monotonic()
    sampler = LoadSampler(stack)
    sampler.sample()
    ids = [cluster_world.upload(label=f"soak{i}") for i in range(n)]
    order: list[str] = []
    next_fault = started + rng.expovariate(1 / mean_gap_s)
    try:
        while True:
            try:
                result = outcome(stack, ids, len(METRICS))
            except sa_exc.DBAPIError:  # PostgreSQL restarting (a fault of ours): look again shortly
                time.sleep(1.0)
                continue
            elapsed = time.monotonic() - started
            if result.open == 0 or elapsed > timeout_s:
                break
            if time.monotonic() >= next_fault and kinds and (max_faults is None or
                                                             sum(report.faults.values()) < max_faults):
                if not order:
                    order = list(kinds)
                    rng.shuffle(order)
                kind = order.pop()
                log(f"[{elapsed:6.0f}s] fault {kind} ({result.open} open, {result.statuses})")
                try:
                    injector.inject(kind)
                except Exception as exc:  # noqa: BLE001 - a failed injection is reported, not fatal
                    log(f"           injection of {kind} failed: {exc}")
                else:
                    report.faults[kind] += 1
                next_fault = time.monotonic() + rng.expovariate(1 / mean_gap_s)
            for host in hosts:  # a worker that died on its own (or whose restart failed) comes back
                if not stack.workers[host].alive():
                    stack.start_worker(host, wait=False)
            sampler.sample()
            time.sleep(1.0)
    finally:
        injector.finish()
    report.wall_s = time.monotonic() - started
    wait_for_database(stack)
    sampler.sample()
    report.redis_commands, report.pg_transactions = sampler.total["redis"], sampler.total["pg"]
    report.pg_connections_max = sampler.connections_max
    result = outcome(stack, ids, len(METRICS))
    report.statuses, report.failure_codes, report.attempts = result.statuses, result.failure_codes, result.attempts
    report.lost, report.duplicated, report.missing_scores = result.open, result.duplicated, result.missing_scores
    report.mean_evaluation_s = result.per_evaluation_s
    return report


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=200, help="submissions (default 200)")
    parser.add_argument("--workers", type=int, default=3, help="worker hosts (default 3)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--kinds", default="all", help=f"comma-separated fault kinds or 'all' ({', '.join(KINDS)})")
    parser.add_argument("--docker-restart", action="store_true",
                        help="also restart the Docker Engine (it is shared: never while others run tests)")
    parser.add_argument("--mean-gap-s", type=float, default=20.0, help="mean seconds between faults")
    parser.add_argument("--max-faults", type=int, default=None)
    parser.add_argument("--timeout-s", type=float, default=3600.0, help="stop after this long, whatever is open")
    parser.add_argument("--lease-s", type=int, default=6)
    args = parser.parse_args()
    kinds = [k for k in KINDS if k != "docker_restart"] if args.kinds == "all" else args.kinds.split(",")
    if args.docker_restart and "docker_restart" not in kinds:
        kinds.append("docker_restart")
    if "docker_restart" in kinds and not args.docker_restart:
        parser.error("docker_restart restarts the shared Docker Engine: pass --docker-restart to allow it")

    from hosts import netns_available  # noqa: PLC0415
    from cluster_world import new_world  # noqa: PLC0415
    from stack import Stack  # noqa: PLC0415

    why = netns_available()
    if why:
        parser.error(f"the soak needs Linux network namespaces: {why}")
    subprocess.run(["bash", str(ROOT / "scripts" / "services.sh"), "start", "docker"], check=True)
    base = Path("/tmp") / f"sa-soak-{uuid.uuid4().hex[:8]}"
    stack = Stack.create(base, worker_hosts=args.workers, lease_seconds=args.lease_s)
    try:
        print(f"cluster on {stack.net.subnet}.0/24; starting {args.workers} workers", flush=True)
        stack.start_workers(*[f"w{i}" for i in range(1, args.workers + 1)])
        world = new_world(stack, base / "world", slug="soak")
        report = run_soak(stack, world, args.n, kinds, seed=args.seed, mean_gap_s=args.mean_gap_s,
                          timeout_s=args.timeout_s, max_faults=args.max_faults,
                          log=lambda line: print(line, flush=True))
        print(report.table())
        if not report.ok():
            print(f"logs kept in {base / 'logs'}")
        return 0 if report.ok() else 1
    finally:
        stack.close()
        if 'report' in locals() and report.ok():
            import shutil  # noqa: PLC0415

            shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
