"""Web and workers on their own network hosts: uploads, partitions, a flapping link, a dead host.

Every process reaches Redis and PostgreSQL by the services host's address; the Docker socket
and the storage directory are shared paths (see hosts.py). Leases are 6 s, so a lost host is
noticed in seconds.
"""
from __future__ import annotations

import threading
import time

import pytest
import requests
import sqlalchemy as sa
from cluster_world import containers, outcome, running_on
from hosts import wait_until

from arena.core.enums import EvaluationStatus
from arena.core.models import User
from arena.services.tokens import create_token
from arena.core.db import transaction
from evaluator.metrics.catalog import METRICS
from evaluator.reconciler import RECONCILE_LOCK_KEY

N_METRICS = len(METRICS)
# The session's cluster takes minutes to build here (three metric-suite loads on 2 shared cores).
pytestmark = [pytest.mark.slow, pytest.mark.docker]


def _scored(stack, evaluation_id: int, timeout: float = 120) -> None:
    wait_until(lambda: stack.statuses([evaluation_id])[evaluation_id] in (EvaluationStatus.SCORED,
                                                                         EvaluationStatus.FAILED),
               timeout, 0.5, f"evaluation {evaluation_id} to finish\n{stack.logs()}")
    evaluation = stack.evaluation(evaluation_id)
    assert evaluation.status is EvaluationStatus.SCORED, (evaluation.error_code, evaluation.error_message)


def _running_container(stack, evaluation_id: int, timeout: float = 60) -> tuple[str, int]:
    """Wait until the evaluation's sandbox container runs; (worker name, attempt)."""
    def ready():
        run = running_on(stack, evaluation_id)
        return run if run and any(c.status == "running" for c in containers(stack, evaluation_id, run[1])) else None

    return wait_until(ready, timeout, 0.3, f"a running container of evaluation {evaluation_id}")


def _host_of(worker_name: str) -> str:
    return worker_name.split("-", 1)[0]


def test_a_submission_uploaded_through_the_web_host_is_scored_by_a_worker_host(stack, world):
    base = stack.start_web() if stack.web is None else f"http://{stack.net.hosts['web'].address}:8000"
    with transaction(stack.factory) as session:
        _, token = create_token(session, session.get(User, world.world.user_id), "cluster")
    headers = {"Authorization": f"Bearer {token}"}
    with world.tiny.open("rb") as fh:
        response = requests.post(f"{base}/api/v1/competitions/{world.world.slug}/submissions", headers=headers,
                                 files={"file": ("tiny.pt", fh)}, data={"label": "over the network"}, timeout=30)
    assert response.status_code == 201, (response.text, stack.web.log_text()[-3000:])
    submission_id = response.json()["id"]

    def finished():
        body = requests.get(f"{base}/api/v1/submissions/{submission_id}", headers=headers, timeout=10).json()
        return body if body["status"] in ("scored", "failed") else None

    body = wait_until(finished, 120, 1.0, f"submission {submission_id} to be scored\n{stack.logs()}")
    assert body["status"] == "scored", body
    with stack.factory() as session:
        from arena.core.models import Submission

        evaluation = session.get(Submission, submission_id).evaluations[0]
        worker, scores = evaluation.provenance["worker"], len(evaluation.scores)
    # Scored on a worker host (not the web host, which has no worker), one full score set.
    assert _host_of(worker) in ("w1", "w2", "w3") and scores == N_METRICS


def test_a_partitioned_worker_is_fenced_off_and_another_host_finishes(stack, world, healed):
    evaluation_id = world.upload(world.slow_generator(8))
    first_owner, attempt = _running_container(stack, evaluation_id)
    assert attempt == 1
    cut = stack.net.hosts[_host_of(first_owner)]
    cut.cut()
    assert not cut.reachable(stack.net.hosts["svc"], 5432)
    cut_at = time.monotonic()

    # Its own lease check stops the run when the lease runs out, and kills its container.
    log = stack.workers[cut.name]
    wait_until(lambda: "lost (not confirmed in time); aborting the run" in log.log_text(), 30, 0.3,
               f"the cut-off worker to give up its lease\n{log.log_text()[-3000:]}")
    wait_until(lambda: not containers(stack, evaluation_id, 1), 20, 0.3, "attempt 1's container to go")
    assert time.monotonic() - cut_at < 16, "the container ran to its end instead of being killed"

    # Another host takes the expired lease over as attempt 2.
    second = wait_until(lambda: (r := running_on(stack, evaluation_id)) and r[1] == 2 and r, 40, 0.3,
                        f"attempt 2 to start\n{stack.logs()}")
    assert _host_of(second[0]) != cut.name
    cut.heal()
    _scored(stack, evaluation_id)

    evaluation = stack.evaluation(evaluation_id)
    assert evaluation.attempt == 2 and evaluation.provenance["worker"] == second[0]
    assert stack.score_count(evaluation_id) == N_METRICS
    # The cut-off worker is back and healthy, and its attempt-1 writes changed nothing.
    wait_until(lambda: f"evaluation {evaluation_id} attempt 1 fenced off" in log.log_text(), 60, 0.5,
               f"the cut-off worker to report its attempt fenced\n{log.log_text()[-3000:]}")
    assert log.alive()
    after = stack.evaluation(evaluation_id)
    assert (after.status, after.attempt, stack.score_count(evaluation_id)) == (EvaluationStatus.SCORED, 2, N_METRICS)


def test_a_flapping_link_loses_nothing(stack, world, healed):
    workers = [stack.net.hosts[h] for h in ("w1", "w2")]
    stop = threading.Event()

    def flap():
        while not stop.is_set():
            for host in workers:
                host.cut()
            stop.wait(1.5)
            for host in workers:
                host.heal()
            stop.wait(3.0)

    flapper = threading.Thread(target=flap, daemon=True)
    flapper.start()
    try:
        ids = [world.upload(label=f"flap{i}") for i in range(4)]
        wait_until(lambda: outcome(stack, ids, N_METRICS).open == 0, 150, 1.0,
                   f"the submissions to finish under a flapping link\n{stack.logs()}")
    finally:
        stop.set()
        flapper.join(10)
    result = outcome(stack, ids, N_METRICS)
    assert result.statuses == {"scored": 4}, (result, stack.logs())
    # Short outages never expired a lease: every evaluation took exactly one attempt.
    assert result.attempts == {1: 4} and result.duplicated == 0 and result.missing_scores == 0


def test_the_reconciler_runs_on_one_host_at_a_time_and_recovers_a_dead_host(stack, world, healed):
    """Last in this module: it kills the worker host it cuts off."""
    evaluation_id = world.upload(world.slow_generator(6))
    owner, _ = _running_container(stack, evaluation_id)
    dead = stack.net.hosts[_host_of(owner)]
    # The controller holds the reconcile lock, as a reconcile pass on some host would.
    lock = stack.engine.connect()
    lock.execute(sa.text("SELECT pg_advisory_lock(:k)"), {"k": RECONCILE_LOCK_KEY})
    try:
        dead.cut()
        stack.workers[dead.name].kill()  # the host is gone for good: its processes die with it
        time.sleep(stack.settings.lease_seconds + 3 * 3)  # expired, and several reconcile ticks later
        # Nobody re-queued it while the lock was held elsewhere.
        assert running_on(stack, evaluation_id) == (owner, 1)
    finally:
        lock.execute(sa.text("SELECT pg_advisory_unlock(:k)"), {"k": RECONCILE_LOCK_KEY})
        lock.close()
    # Once the lock is free, a live host's reconciler kills the orphaned container and re-queues.
    wait_until(lambda: not containers(stack, evaluation_id, 1), 20, 0.3, "the orphaned container to be killed")
    _scored(stack, evaluation_id, timeout=90)
    evaluation = stack.evaluation(evaluation_id)
    assert evaluation.attempt == 2 and _host_of(evaluation.provenance["worker"]) != dead.name
    assert evaluation.platform_faults == 1 and stack.score_count(evaluation_id) == N_METRICS
