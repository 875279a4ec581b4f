"""Scorer identity: what changes it, and that two scorers never share a board.

"Installing weights" here writes a real (unpinned) AlexNet trunk file into a weights folder:
the suite loads it as given, so its numbers and its identity differ from the seeded suite's,
exactly as installing verified weights would make them differ.
"""
from __future__ import annotations

import torch
from pipeline_fixtures import FakeRunner, upload
from scorerfixtures import seeded_scorer_id

from arena.core.models import Competition, Evaluation, Submission
from arena.services.leaderboard import leaderboard_rows
from evaluator.attempt import AttemptOutcome, run_attempt
from evaluator.context import WorkerContext
from evaluator.metrics.backbones.lpips_alex import build_alexnet_trunk
from evaluator.metrics.catalog import metric_versions
from evaluator.metrics.suite import MetricSuite
from evaluator.scorer import scorer_identity, suite_identity
from evaluator.weights import MANIFEST, Backbone

HASHES = {"inception": "a" * 64, "vgg19": "b" * 64, "alexnet": "c" * 64, "lpips_linear": "d" * 64}


def test_identity_is_stable_and_changes_with_every_component():
    base = scorer_identity(metric_versions(), HASHES, calibrated=True)
    assert base == scorer_identity(dict(reversed(list(metric_versions().items()))), dict(HASHES), True)
    assert base.id.startswith("calibrated-") and len(base.id) <= 40
    other_weights = scorer_identity(metric_versions(), {**HASHES, "alexnet": "e" * 64}, True)
    other_metric = scorer_identity({**metric_versions(), "fid": "fid-changed"}, HASHES, True)
    seeded = scorer_identity(metric_versions(), HASHES, False)
    assert len({base.id, other_weights.id, other_metric.id, seeded.id}) == 4
    assert seeded.id.startswith("seeded-")


def _install_alexnet(weights_dir):
    """A real, loadable AlexNet trunk under the manifest's file name (not the pinned bytes)."""
    torch.manual_seed(1234)
    trunk = build_alexnet_trunk()
    entry = next(e for e in MANIFEST if e.backbone is Backbone.ALEXNET)
    weights_dir.mkdir(parents=True)
    torch.save({f"features.{k}": v for k, v in trunk.state_dict().items()}, weights_dir / entry.filename)


def _score(settings, factory, evaluation_id, suite, name):
    context = WorkerContext(settings=settings, runner=FakeRunner(), scorer=suite, worker_name=name)
    try:
        return run_attempt(context, evaluation_id)
    finally:
        context.close()


def test_two_scorers_never_share_a_board(eval_settings, session_factory, world, generator, metric_suite, tmp_path):
    first = upload(eval_settings, session_factory, world, generator, label="before")
    with session_factory() as session:
        first_eval = session.get(Submission, first).evaluations[0].id
    assert _score(eval_settings, session_factory, first_eval, metric_suite, "seeded") is AttemptOutcome.SCORED

    weights = tmp_path / "weights"
    _install_alexnet(weights)
    installed = MetricSuite.load(weights)
    new_scorer = suite_identity(installed).id
    assert new_scorer != seeded_scorer_id() and installed.calibrated is False
    with session_factory() as session:
        competition = session.get(Competition, world.competition_id)
        competition.scorer_version = new_scorer  # the organizer switches to the new scorer
        session.commit()

    second = upload(eval_settings, session_factory, world, generator, label="after")
    with session_factory() as session:
        second_eval = session.get(Submission, second).evaluations[0].id
    # A worker still on the seeded scorer refuses it; one with the installed weights scores it.
    assert _score(eval_settings, session_factory, second_eval, metric_suite, "seeded") is AttemptOutcome.REQUEUED
    assert _score(eval_settings, session_factory, second_eval, installed, "installed") is AttemptOutcome.SCORED

    with session_factory() as session:
        competition = session.get(Competition, world.competition_id)
        rows = leaderboard_rows(session, competition)
        assert [row.submission_id for row in rows] == [second]
        old, new = session.get(Evaluation, first_eval), session.get(Evaluation, second_eval)
        assert (old.scorer_version, new.scorer_version) == (seeded_scorer_id(), new_scorer)
        # Provenance names the scorer and every network's hash, calibrated or not.
        for evaluation, suite in ((old, metric_suite), (new, installed)):
            assert evaluation.provenance["weight_hashes"] == suite.weight_hashes
            assert evaluation.provenance["scorer_components"]["weight_hashes"] == dict(sorted(suite.weight_hashes.items()))
        assert old.provenance["weight_hashes"]["alexnet"] != new.provenance["weight_hashes"]["alexnet"]
        # Switching back shows only the first one: never both in one ranking.
        competition.scorer_version = seeded_scorer_id()
        session.flush()
        assert [row.submission_id for row in leaderboard_rows(session, competition)] == [first]
        session.rollback()
