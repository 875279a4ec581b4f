"""Rescoring adds evaluations and keeps the old ones; a scorer-only rescore runs no container."""
from __future__ import annotations

import json

import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from pipeline_fixtures import FakeRunner, publish_extra_hidden, upload
from scorerfixtures import seeded_scorer_id

from arena.cli import cli
from arena.core.enums import EvaluationKind, EvaluationStatus, SubmissionStatus
from arena.core.models import Competition, DatasetVersion, Evaluation, Score, Submission
from arena.services.rescore import apply_rescore, plan_rescore
from evaluator.attempt import AttemptOutcome, run_attempt
from evaluator.context import WorkerContext


def _scored_submission(settings, factory, world, generator, scorer) -> int:
    submission_id = upload(settings, factory, world, generator)
    with factory() as session:
        evaluation_id = session.get(Submission, submission_id).evaluations[0].id
    context = WorkerContext(settings=settings, runner=FakeRunner(), scorer=scorer, worker_name="w")
    assert run_attempt(context, evaluation_id) is AttemptOutcome.SCORED
    context.close()
    return submission_id


def _plan_and_apply(settings, factory, world, dataset_id=None, scorer_version=None):
    with factory() as session:
        competition = session.get(Competition, world.competition_id)
        dataset = session.get(DatasetVersion, dataset_id) if dataset_id else None
        plan = plan_rescore(session, settings, competition, dataset, scorer_version)
        return plan, apply_rescore(session, settings, plan)


def test_scorer_only_rescore_adds_rows_and_runs_no_container(eval_settings, session_factory, world, generator,
                                                             metric_suite):
    submission_id = _scored_submission(eval_settings, session_factory, world, generator, metric_suite)
    plan, ids = _plan_and_apply(eval_settings, session_factory, world, scorer_version="2")
    assert (len(plan.items), plan.reuses, plan.reruns, plan.already_evaluated) == (1, 1, 0, 0)
    runner = FakeRunner()
    # A worker of the old scorer refuses the new scorer's evaluation (a platform fault, retried)...
    old_worker = WorkerContext(settings=eval_settings, runner=runner, scorer=metric_suite, worker_name="w-old")
    assert run_attempt(old_worker, ids[0]) is AttemptOutcome.REQUEUED
    with session_factory() as session:
        assert session.get(Evaluation, ids[0]).error_code == "scorer_mismatch"
    # ...and a worker that is scorer "2" (stated, standing in for one with other weights) takes it.
    context = WorkerContext(settings=eval_settings, runner=runner, scorer=metric_suite, worker_name="w",
                            scorer_id="2")
    assert run_attempt(context, ids[0]) is AttemptOutcome.SCORED
    context.close()
    assert runner.calls == 0  # scored from the stored outputs

    with session_factory() as session:
        old, new = session.get(Submission, submission_id).evaluations
        assert (old.scorer_version, new.scorer_version, new.kind) == (seeded_scorer_id(), "2", EvaluationKind.RESCORE)
        assert old.status is new.status is EvaluationStatus.SCORED
        assert new.outputs_sha256 == old.outputs_sha256 and new.provenance["outputs_reused"] is True
        assert session.scalar(sa.select(sa.func.count(Score.id))) == 2 * len(old.scores)
        # Identical outputs, identical (deterministic) scorer: identical numbers.
        assert {s.metric: s.value for s in new.scores} == pytest.approx({s.metric: s.value for s in old.scores})
        # The board still shows the current scorer: the status follows that one.
        assert session.get(Submission, submission_id).status is SubmissionStatus.SCORED
    # Planning the same target again finds nothing to do.
    plan, ids = _plan_and_apply(eval_settings, session_factory, world, scorer_version="2")
    assert plan.items == () and plan.already_evaluated == 1 and ids == []


def test_dataset_rescore_reruns_the_generator_without_a_smoke_run(eval_settings, session_factory, world, generator,
                                                                  metric_suite, tmp_path):
    _scored_submission(eval_settings, session_factory, world, generator, metric_suite)
    new_dataset = publish_extra_hidden(eval_settings, session_factory, tmp_path)
    plan, ids = _plan_and_apply(eval_settings, session_factory, world, dataset_id=new_dataset)
    assert (plan.reuses, plan.reruns) == (0, 1)
    runner = FakeRunner()
    context = WorkerContext(settings=eval_settings, runner=runner, scorer=metric_suite, worker_name="w")
    assert run_attempt(context, ids[0]) is AttemptOutcome.SCORED
    context.close()
    assert runner.calls == 1
    with session_factory() as session:
        assert session.scalar(sa.select(sa.func.count(Evaluation.id))) == 2


def test_cli_dry_run_changes_nothing_and_yes_enqueues(eval_settings, session_factory, world, generator, metric_suite):
    _scored_submission(eval_settings, session_factory, world, generator, metric_suite)
    runner = CliRunner()
    result = runner.invoke(cli, ["rescore", world.slug, "--scorer-version", "3", "--dry-run", "--json"],
                           obj={"settings": eval_settings})
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["to_evaluate"] == 1
    with session_factory() as session:
        assert session.scalar(sa.select(sa.func.count(Evaluation.id))) == 1
    result = runner.invoke(cli, ["rescore", world.slug, "--scorer-version", "3", "--yes"],
                           obj={"settings": eval_settings})
    assert result.exit_code == 0, result.output
    assert "enqueued 1 evaluation(s)" in result.output
    with session_factory() as session:
        assert session.scalar(sa.select(sa.func.count(Evaluation.id))) == 2
    # The board is switched by the organizer, with the command the rescore printed.
    switch = result.output.split("switch with: ")[1].split()
    assert switch[:4] == ["stylearena", "competition", "configure", world.slug] and switch[-1] == "3"
    # Not yet: the new evaluation is still queued, so the switch would hide it (issue 19).
    result = runner.invoke(cli, switch[1:], obj={"settings": eval_settings})
    assert result.exit_code == 1 and "1 queued" in result.output and "rescore status" in result.output
    result = runner.invoke(cli, [*switch[1:], "--force"], obj={"settings": eval_settings})
    assert result.exit_code == 0, result.output
    with session_factory() as session:
        competition = session.get(Competition, world.competition_id)
        assert (competition.scorer_version, competition.hidden_dataset_id) == ("3", world.hidden_id)
    result = runner.invoke(cli, ["rescore", "no-such-slug", "--yes"], obj={"settings": eval_settings})
    assert result.exit_code != 0 and "No competition" in result.output
