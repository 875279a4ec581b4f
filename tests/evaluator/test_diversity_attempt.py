"""Diversity end to end: chosen with the CLI, a real sandbox runs the repeat pass, rows and board follow.

A competition that chose ``diversity`` runs its hidden pairs twice (two seeds); a stochastic
generator scores > 0 with an interval, a deterministic one exactly 0; the repeat outputs are
stored and reused by a scorer-only rescore; a competition without it never asks for a repeat.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from pipeline_fixtures import FakeRunner, upload
from sandboxfixtures import sandbox_image  # noqa: F401  (fixture: the sandbox image, built once)

from arena.cli import cli
from arena.core.db import transaction
from arena.core.enums import EvaluationKind
from arena.core.models import Competition, DatasetVersion, Evaluation, Submission
from arena.core.store import outputs as outputs_store
from arena.services.evaluations import create_evaluation
from arena.services.leaderboard import leaderboard_rows, metric_columns
from evaluator.attempt import AttemptOutcome, run_attempt
from evaluator.context import WorkerContext
from evaluator.metrics.optional_catalog import OPTIONAL_METRICS
from sandbox.examples import write_noisy_package
from sandbox.runner import SandboxRunner

pytestmark = [pytest.mark.docker, pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)]


class RecordingRunner(SandboxRunner):
    """The real runner, remembering whether each run was asked for a repeat pass."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.repeat_dirs: list[Path | None] = []

    def run(self, *args, repeat_dir: Path | None = None, **kwargs):
        self.repeat_dirs.append(repeat_dir)
        return super().run(*args, repeat_dir=repeat_dir, **kwargs)


def _configure(settings, slug: str, metrics: str) -> None:
    out = CliRunner().invoke(cli, ["competition", "configure", slug, "--metrics", metrics, "--json"],
                             obj={"settings": settings})
    assert out.exit_code == 0, out.output
    assert json.loads(out.stdout)["optional_metrics"] == [m for m in OPTIONAL_METRICS if m in metrics.split(",")]


def _score(settings, factory, world, generator, runner, suite):
    submission_id = upload(settings, factory, world, generator)
    with factory() as session:
        evaluation_id = session.get(Submission, submission_id).evaluations[0].id
    context = WorkerContext(settings=settings, runner=runner, scorer=suite, worker_name="test-worker")
    assert run_attempt(context, evaluation_id) is AttemptOutcome.SCORED, _error(factory, evaluation_id)
    return submission_id, evaluation_id


def _error(factory, evaluation_id):
    with factory() as session:
        evaluation = session.get(Evaluation, evaluation_id)
        return evaluation.error_code, evaluation.error_message


def test_a_stochastic_generator_scores_diversity_and_a_rescore_reuses_both_passes(
        eval_settings, session_factory, world, metric_suite, docker_host, sandbox_image, tmp_path):  # noqa: F811
    _configure(eval_settings, world.slug, "diversity")
    runner = RecordingRunner(docker_host, sandbox_image)
    submission_id, evaluation_id = _score(eval_settings, session_factory, world,
                                          write_noisy_package(tmp_path / "noisy.zip"), runner, metric_suite)
    # The public smoke run has no repeat pass; the hidden run has one.
    assert [d is not None for d in runner.repeat_dirs] == [False, True]

    with session_factory() as session:
        submission = session.get(Submission, submission_id)
        evaluation = submission.evaluations[0]
        scores = {s.metric: s for s in evaluation.scores}
        diversity = scores["diversity"]
        assert diversity.value > 0.01 and diversity.definition_version == OPTIONAL_METRICS["diversity"].version
        assert diversity.ci_low is not None and diversity.ci_low <= diversity.value <= diversity.ci_high
        assert diversity.calibrated is False  # LPIPS on a seeded AlexNet
        assert all(row["diversity"] > 0.01 for row in evaluation.per_pair.values()) and len(evaluation.per_pair) == 2
        seeding = evaluation.provenance["seeding"]
        assert seeding["run_seed"] == 0 and seeding["repeat_seed"] == 1 and seeding["repeat_pairs"] == "all"
        repeat_sha = seeding["repeat_outputs_sha256"]
        assert outputs_store.has_outputs(eval_settings, repeat_sha) and repeat_sha != evaluation.outputs_sha256
        first_value, outputs_sha = diversity.value, evaluation.outputs_sha256

        competition = session.get(Competition, world.competition_id)
        assert [c.name for c in metric_columns(competition)][-1] == "diversity"
        [row] = leaderboard_rows(session, competition)
        assert row.metrics["diversity"] == pytest.approx(first_value)

        # A scorer-only rescore on the same version (scorer "2", as in test_rescore): both passes
        # come from the store.
        rescore = create_evaluation(session, submission, session.get(DatasetVersion, world.hidden_id), "2",
                                    EvaluationKind.RESCORE)
        session.commit()
        rescore_id = rescore.id
    never = FakeRunner("unavailable")
    context = WorkerContext(settings=eval_settings, runner=never, scorer=metric_suite, worker_name="test-worker",
                            scorer_id="2")
    assert run_attempt(context, rescore_id) is AttemptOutcome.SCORED, _error(session_factory, rescore_id)
    assert never.calls == 0
    with session_factory() as session:
        again = session.get(Evaluation, rescore_id)
        assert again.outputs_sha256 == outputs_sha
        assert again.provenance["seeding"]["repeat_outputs_sha256"] == repeat_sha
        assert {s.metric: s.value for s in again.scores}["diversity"] == pytest.approx(first_value, abs=1e-9)


def test_a_deterministic_generator_scores_exactly_zero(eval_settings, session_factory, world, metric_suite,
                                                       docker_host, sandbox_image, generator):  # noqa: F811
    _configure(eval_settings, world.slug, "ssim,diversity")
    _, evaluation_id = _score(eval_settings, session_factory, world, generator,
                              SandboxRunner(docker_host, sandbox_image), metric_suite)
    with session_factory() as session:
        evaluation = session.get(Evaluation, evaluation_id)
        assert {s.metric: s.value for s in evaluation.scores}["diversity"] == 0.0
        assert all(row["diversity"] == 0.0 for row in evaluation.per_pair.values())
        # The same bytes under both seeds: one stored copy serves both addresses.
        assert evaluation.provenance["seeding"]["repeat_outputs_sha256"] == evaluation.outputs_sha256


def test_without_diversity_no_repeat_pass_runs(eval_settings, session_factory, world, metric_suite, docker_host,
                                              sandbox_image, tmp_path):  # noqa: F811
    _configure(eval_settings, world.slug, "ssim")
    runner = RecordingRunner(docker_host, sandbox_image)
    _, evaluation_id = _score(eval_settings, session_factory, world, write_noisy_package(tmp_path / "noisy.zip"),
                              runner, metric_suite)
    assert runner.repeat_dirs == [None, None]
    with session_factory() as session:
        evaluation = session.get(Evaluation, evaluation_id)
        assert "diversity" not in {s.metric for s in evaluation.scores}
        seeding = evaluation.provenance["seeding"]
        assert seeding["repeat_outputs_sha256"] is None and seeding["repeat_seed"] is None and seeding["run_seed"] == 0
