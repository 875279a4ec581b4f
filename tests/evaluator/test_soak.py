"""Soak: many submissions through two real workers that are killed at random; none lost.

``STYLEARENA_SOAK_N`` sets the number of submissions. The issue's full soak is 200
(``STYLEARENA_SOAK_N=200``, about 12 minutes on the shared 2-core machine: ~3.4 s sandbox run
+ ~3.2 s metrics per submission); the default of 60 keeps the suite within its time budget
while still killing workers mid-run. Counts and wall time go to ``test-artifacts/soak.json``.
"""
from __future__ import annotations

import json
import os
import random
import signal
import time
from collections import Counter
from pathlib import Path

import pytest
import sqlalchemy as sa
from cluster import create_cluster
from pipeline_fixtures import upload

from arena.core.enums import EvaluationStatus, SubmissionStatus
from arena.core.models import Evaluation, Score, Submission
from evaluator.metrics.catalog import METRICS

N_SUBMISSIONS = int(os.environ.get("STYLEARENA_SOAK_N", "60"))
MAX_KILLS = int(os.environ.get("STYLEARENA_SOAK_KILLS", "3"))
TIMEOUT_S = float(os.environ.get("STYLEARENA_SOAK_TIMEOUT_S", "1500"))


def _children(pid: int) -> list[int]:
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except FileNotFoundError:
        return []


@pytest.mark.slow
@pytest.mark.docker
@pytest.mark.postgres
def test_soak_nothing_lost_nothing_duplicated(tmp_path, services, postgres_template, docker_host, generator,
                                             artifacts_dir):
    cluster, teardown = create_cluster(tmp_path, services.postgres_admin_url, postgres_template, docker_host)
    rng = random.Random(5)
    try:
        submission_ids = [upload(cluster.settings, cluster.factory, cluster.world, generator, label=f"s{i}")
                          for i in range(N_SUBMISSIONS)]
        started = time.monotonic()
        cluster.ensure_workers("a", "b")
        kills: list[str] = []
        next_kill = time.monotonic() + rng.uniform(15, 40)
        while True:
            with cluster.factory() as session:
                open_count = session.scalar(sa.select(sa.func.count(Submission.id)).where(
                    Submission.status.in_([SubmissionStatus.QUEUED, SubmissionStatus.RUNNING])))
            if open_count == 0:
                break
            assert time.monotonic() - started < TIMEOUT_S, f"{open_count} still open\n{cluster.logs()}"
            if len(kills) < MAX_KILLS and time.monotonic() > next_kill:
                base = rng.choice(["a", "b"])
                victim = cluster.workers[base]
                if rng.random() < 0.5:
                    for horse in _children(victim.proc.pid):
                        os.kill(horse, signal.SIGKILL)
                    kills.append(f"{victim.name}+horse")
                else:
                    kills.append(victim.name)
                victim.kill_worker_only()
                cluster.ensure_workers("a", "b")
                next_kill = time.monotonic() + rng.uniform(15, 40)
            time.sleep(1)
        wall_s = time.monotonic() - started

        with cluster.factory() as session:
            submissions = session.scalars(sa.select(Submission).where(Submission.id.in_(submission_ids))).all()
            statuses = Counter(s.status.value for s in submissions)
            evaluations = session.scalars(sa.select(Evaluation)).all()
            scores = dict(session.execute(sa.select(Score.evaluation_id, sa.func.count(Score.id))
                                          .group_by(Score.evaluation_id)).all())
            attempts = Counter(e.attempt for e in evaluations)
            failures = Counter(s.error_code for s in submissions if s.status is SubmissionStatus.FAILED)
            steps = {k: round(sum(e.timings.get(k, 0.0) for e in evaluations) / len(evaluations), 2)
                     for k in ("stage_s", "run_s", "metrics_s", "total_s")}
        report = {"submissions": N_SUBMISSIONS, "workers": 2, "kills": kills, "wall_s": round(wall_s, 1),
                  "statuses": dict(statuses), "attempts": dict(attempts), "failure_codes": dict(failures),
                  "per_submission_s": round(wall_s / N_SUBMISSIONS, 2), "mean_step_s": steps}
        (artifacts_dir / "soak.json").write_text(json.dumps(report, indent=2))
        print("soak:", json.dumps(report))

        assert len(submissions) == N_SUBMISSIONS and len(evaluations) == N_SUBMISSIONS
        assert set(statuses) <= {"scored", "failed"}
        for submission in submissions:
            if submission.status is SubmissionStatus.FAILED:
                assert submission.error_code and submission.error_message
        for evaluation in evaluations:
            expected = len(METRICS) if evaluation.status is EvaluationStatus.SCORED else 0
            assert scores.get(evaluation.id, 0) == expected, f"evaluation {evaluation.id} has duplicate scores"
        assert cluster.containers() == [] or all(
            c.labels.get("stylearena.evaluation") not in {str(e.id) for e in evaluations}
            for c in cluster.containers())
    finally:
        teardown()
