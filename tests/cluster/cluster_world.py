"""A competition in a cluster ``Stack``, generators to upload, and what to check afterwards.

Not a test module; used by the cluster tests and ``benchmarks/soak.py``.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import docker
import sqlalchemy as sa
from pipeline_fixtures import World, make_world, upload, write_generator

from arena.core.enums import EvaluationStatus
from arena.core.models import Evaluation, Score, Submission
from sandbox.examples import write_package
from stack import Stack

# A package whose forward sleeps: long enough to cut a link while its container runs.
SLOW_PACKAGE_CODE = '''\
import time

import torch


class Stylizer(torch.nn.Module):
    def forward(self, content, style):
        time.sleep({sleep_s})
        return content.clamp(0, 1)
'''


@dataclass
class ClusterWorld:
    stack: Stack
    world: World
    tiny: Path
    tmp: Path

    def upload(self, generator: Path | None = None, label: str = "") -> int:
        """Upload through the submission service; returns the submission's evaluation id."""
        submission_id = upload(self.stack.settings, self.stack.factory, self.world, generator or self.tiny, label)
        return evaluation_of(self.stack, submission_id)

    def slow_generator(self, sleep_s: float) -> Path:
        path = self.tmp / f"slow-{sleep_s}.zip"
        if not path.exists():
            write_package(path, {"generator.py": SLOW_PACKAGE_CODE.format(sleep_s=sleep_s)})
        return path


def new_world(stack: Stack, tmp: Path, slug: str) -> ClusterWorld:
    """A participant and an open competition with a 2-pair hidden set (the fewest the metrics accept; no smoke run)."""
    tmp.mkdir(parents=True, exist_ok=True)
    world = make_world(stack.settings, stack.factory, tmp / "sets", public=False, n_pairs=2, quota=100_000,
                       slug=slug)
    tiny = tmp / "tiny.pt"
    if not tiny.exists():
        write_generator(tiny)
    return ClusterWorld(stack, world, tiny, tmp)


def evaluation_of(stack: Stack, submission_id: int) -> int:
    with stack.factory() as session:
        return session.get(Submission, submission_id).evaluations[0].id


def running_on(stack: Stack, evaluation_id: int) -> tuple[str, int] | None:
    """(lease owner, attempt) while the evaluation runs, else None."""
    with stack.factory() as session:
        row = session.execute(sa.select(Evaluation.status, Evaluation.lease_owner, Evaluation.attempt)
                              .where(Evaluation.id == evaluation_id)).one()
    return (row[1], row[2]) if row[0] is EvaluationStatus.RUNNING and row[1] else None


def containers(stack: Stack, evaluation_id: int, attempt: int | None = None) -> list:
    """Running or exited sandbox containers of one evaluation (attempt) on the shared Engine."""
    client = docker.DockerClient(base_url=stack.settings.docker_host)
    try:
        labels = ["stylearena.sandbox=1", f"stylearena.evaluation={evaluation_id}"]
        if attempt is not None:
            labels.append(f"stylearena.attempt={attempt}")
        return client.containers.list(all=True, filters={"label": labels})
    finally:
        client.close()


@dataclass(frozen=True)
class Outcome:
    """What became of a set of evaluations: the checks every cluster test and the soak make."""

    statuses: Counter
    failure_codes: Counter
    attempts: Counter
    open: int  # still queued or running
    duplicated: int  # evaluations with more score rows than one set
    missing_scores: int  # scored evaluations without a full score set
    per_evaluation_s: float | None


def outcome(stack: Stack, evaluation_ids: list[int], metrics: int) -> Outcome:
    with stack.factory() as session:
        rows = session.execute(sa.select(Evaluation.id, Evaluation.status, Evaluation.attempt, Evaluation.error_code,
                                         Evaluation.timings).where(Evaluation.id.in_(evaluation_ids))).all()
        scores = dict(session.execute(sa.select(Score.evaluation_id, sa.func.count(Score.id))
                                      .where(Score.evaluation_id.in_(evaluation_ids))
                                      .group_by(Score.evaluation_id)).all())
    statuses = Counter(r.status.value for r in rows)
    totals = [r.timings.get("total_s") or r.timings.get("total") for r in rows
              if r.status is EvaluationStatus.SCORED and r.timings]
    totals = [t for t in totals if t]
    return Outcome(
        statuses=statuses,
        failure_codes=Counter(r.error_code for r in rows if r.status is EvaluationStatus.FAILED),
        attempts=Counter(r.attempt for r in rows),
        open=sum(1 for r in rows if r.status in (EvaluationStatus.QUEUED, EvaluationStatus.RUNNING)),
        duplicated=sum(1 for e, n in scores.items() if n > metrics),
        missing_scores=sum(1 for r in rows if r.status is EvaluationStatus.SCORED and scores.get(r.id, 0) != metrics),
        per_evaluation_s=round(sum(totals) / len(totals), 2) if totals else None,
    )
