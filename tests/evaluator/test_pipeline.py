"""The pipeline steps end to end: smoke run, hidden run, validation, metrics, record."""
from __future__ import annotations

import pytest
import sqlalchemy as sa
from pipeline_fixtures import FakeRunner, make_world, upload

from arena.core.db import transaction
from arena.core.enums import EvaluationStatus, SubmissionStatus
from arena.core.models import Evaluation, Score, Submission, utcnow
from arena.core.store import outputs as outputs_store
from evaluator.attempt import AttemptOutcome, run_attempt
from evaluator.claim import expire_lease
from evaluator.context import WorkerContext
from evaluator.metrics.catalog import METRICS

POSTGRES_ONLY = pytest.mark.parametrize("db_url", ["postgres"], indirect=True)


def _context(settings, scorer, runner) -> WorkerContext:
    return WorkerContext(settings=settings, runner=runner, scorer=scorer, worker_name="test-worker")


def _evaluation(factory, submission_id: int) -> Evaluation:
    with factory() as session:
        submission = session.get(Submission, submission_id)
        evaluation = submission.evaluations[0]
        _ = evaluation.scores, evaluation.submission, evaluation.dataset_version
        return evaluation


def test_scored_attempt_records_everything(eval_settings, session_factory, world, generator, metric_suite):
    runner = FakeRunner()
    submission_id = upload(eval_settings, session_factory, world, generator)
    evaluation = _evaluation(session_factory, submission_id)
    assert run_attempt(_context(eval_settings, metric_suite, runner), evaluation.id) is AttemptOutcome.SCORED
    assert runner.calls == 2  # the public smoke run, then the hidden run

    evaluation = _evaluation(session_factory, submission_id)
    submission = evaluation.submission
    assert evaluation.status is EvaluationStatus.SCORED and submission.status is SubmissionStatus.SCORED
    assert {s.metric for s in evaluation.scores} == set(METRICS)
    assert all(not s.calibrated and s.definition_version == METRICS[s.metric].version for s in evaluation.scores)
    kid = next(s for s in evaluation.scores if s.metric == "kid")
    # KID's spread over its subsets is not a confidence interval, so none is stored.
    assert kid.ci_low is None and kid.ci_high is None
    assert set(evaluation.per_pair) == {"p0", "p1"}
    prov = evaluation.provenance
    assert prov["dataset_sha256"] == evaluation.dataset_version.manifest_sha256
    # Uncalibrated rows still name the (seeded) networks that made them.
    assert prov["calibrated"] is False and {"inception", "alexnet", "vgg19"} <= set(prov["weight_hashes"])
    assert all(prov["weight_hashes"].values())
    assert prov["sandbox_image_id"] == "sha256:fake" and prov["harness_report"] == {"total_s": 0.01, "device": "cpu"}
    assert prov["attempt"] == 1 and prov["worker"] == "test-worker" and prov["platform_version"]
    assert {"smoke_s", "stage_s", "run_s", "metrics_s", "total_s"} <= set(evaluation.timings)
    # Hidden outputs kept for rescoring; public outputs and log kept for the owner's page.
    assert sorted(p.name for p in outputs_store.load_outputs(eval_settings, evaluation.outputs_sha256).iterdir()) \
        == ["p0.png", "p1.png"]
    assert outputs_store.has_outputs(eval_settings, submission.public_outputs_sha256)
    assert submission.public_outputs_sha256 != evaluation.outputs_sha256
    assert "fake run over public-inputs" in submission.public_log
    assert not any(eval_settings.work_dir.iterdir())  # the work dir is cleaned


def test_no_public_dataset_skips_the_smoke_run(eval_settings, session_factory, generator, metric_suite, tmp_path):
    world = make_world(eval_settings, session_factory, tmp_path / "sets", public=False, slug="nopublic")
    runner = FakeRunner()
    submission_id = upload(eval_settings, session_factory, world, generator)
    outcome = run_attempt(_context(eval_settings, metric_suite, runner), _evaluation(session_factory, submission_id).id)
    assert outcome is AttemptOutcome.SCORED and runner.calls == 1
    assert _evaluation(session_factory, submission_id).submission.public_log is None


def test_smoke_run_crash_fails_with_its_log_shown(eval_settings, session_factory, world, generator, metric_suite):
    runner = FakeRunner("crash")
    submission_id = upload(eval_settings, session_factory, world, generator)
    outcome = run_attempt(_context(eval_settings, metric_suite, runner), _evaluation(session_factory, submission_id).id)
    assert outcome is AttemptOutcome.FAILED and runner.calls == 1
    submission = _evaluation(session_factory, submission_id).submission
    assert submission.status is SubmissionStatus.FAILED and submission.error_code == "generator_crashed"
    assert submission.error_message.startswith("Public smoke run:")
    assert "boom in public-inputs" in submission.public_log
    # A smoke-run failure is what the smoke run is for: free (up to its own cap).
    assert submission.counts_against_quota is False and submission.failed_on_smoke is True


def test_hidden_run_crash_never_shows_the_hidden_log(eval_settings, session_factory, world, generator, metric_suite):
    runner = FakeRunner("ok", "crash")
    submission_id = upload(eval_settings, session_factory, world, generator)
    outcome = run_attempt(_context(eval_settings, metric_suite, runner), _evaluation(session_factory, submission_id).id)
    assert outcome is AttemptOutcome.FAILED
    evaluation = _evaluation(session_factory, submission_id)
    assert evaluation.submission.error_code == "generator_crashed"
    assert "boom" not in (evaluation.submission.public_log or "") and "boom" not in evaluation.error_message


def test_invalid_outputs_are_a_participant_fault(eval_settings, session_factory, world, generator, metric_suite):
    runner = FakeRunner("ok", "wrong_size")
    submission_id = upload(eval_settings, session_factory, world, generator)
    outcome = run_attempt(_context(eval_settings, metric_suite, runner), _evaluation(session_factory, submission_id).id)
    assert outcome is AttemptOutcome.FAILED
    evaluation = _evaluation(session_factory, submission_id)
    assert evaluation.status is EvaluationStatus.FAILED and evaluation.error_code == "wrong_size"
    with session_factory() as session:
        assert session.scalar(sa.select(sa.func.count(Score.id))) == 0


def test_lost_lease_aborts_the_run_and_writes_nothing(eval_settings, session_factory, world, generator, metric_suite):
    settings = eval_settings.with_overrides(lease_seconds=2)
    submission_id = upload(settings, session_factory, world, generator)
    evaluation_id = _evaluation(session_factory, submission_id).id

    def reconciler_takes_it_back() -> None:
        # What the reconciler does when it believes this worker dead.
        with transaction(session_factory) as session:
            evaluation = session.get(Evaluation, evaluation_id)
            evaluation.lease_expires_at = utcnow().replace(year=2000)
            session.flush()
            assert expire_lease(session, evaluation, 3, "worker_lost") is EvaluationStatus.QUEUED

    runner = FakeRunner("hang", on_run=reconciler_takes_it_back)
    assert run_attempt(_context(settings, metric_suite, runner), evaluation_id) is AttemptOutcome.FENCED
    evaluation = _evaluation(session_factory, evaluation_id and submission_id)
    assert evaluation.status is EvaluationStatus.QUEUED and evaluation.attempt == 1 and evaluation.scores == []


@pytest.mark.docker
@POSTGRES_ONLY
def test_real_sandbox_scores_a_torchscript_upload(eval_settings, session_factory, world, generator, metric_suite,
                                                   docker_host):
    from sandbox.runner import SandboxRunner

    runner = SandboxRunner(docker_host, eval_settings.sandbox.image)
    submission_id = upload(eval_settings, session_factory, world, generator)
    evaluation_id = _evaluation(session_factory, submission_id).id
    assert run_attempt(_context(eval_settings, metric_suite, runner), evaluation_id) is AttemptOutcome.SCORED
    evaluation = _evaluation(session_factory, submission_id)
    assert evaluation.provenance["sandbox_image_id"].startswith("sha256:")
    assert evaluation.provenance["harness_report"]["pairs_written"] == 2
    assert all(s.value == s.value for s in evaluation.scores)  # finite, not NaN
    assert evaluation.per_pair["p0"]["lpips"] > 0  # the generator changed the image


def test_report_summary_keeps_only_whole_run_numbers_and_known_words():
    from evaluator.pipeline import report_summary

    hostile = {"total_s": 1.5, "load_s": float("nan"), "pairs_written": True, "device": "cpu; hidden p3",
               "format": "package", "status": "ok", "torch_version": "2.13.0+cpu", "batches": [{"s": 0.1}],
               "peak_rss_mb": 123.0, "error": {"message": "pair p3"}}
    assert report_summary(hostile) == {"total_s": 1.5, "peak_rss_mb": 123.0, "format": "package", "status": "ok",
                                       "torch_version": "2.13.0+cpu"}
    assert report_summary(["not", "a", "dict"]) == {}


def test_held_out_references_are_scored_against_and_never_mounted(eval_settings, session_factory, world, generator,
                                                                  metric_suite, tmp_path):
    from datasets_helpers import make_dataset

    from arena.core.db import transaction
    from arena.core.models import Competition
    from arena.services.publishing import publish

    with transaction(session_factory) as session:
        hidden = publish(session, eval_settings, make_dataset(tmp_path / "v2", name="refs-hidden", split="hidden",
                                                              seed=9, references_per_style=2),
                         reference_stats=None).version
        session.get(Competition, world.competition_id).hidden_dataset_id = hidden.id
    seen_inputs = []

    class Recording(FakeRunner):
        def run(self, submission_path, submission_format, inputs_dir, *args, **kwargs):
            seen_inputs.append(sorted(p.name for p in inputs_dir.iterdir()))
            return super().run(submission_path, submission_format, inputs_dir, *args, **kwargs)

    submission_id = upload(eval_settings, session_factory, world, generator)
    outcome = run_attempt(_context(eval_settings, metric_suite, Recording()), _evaluation(session_factory, submission_id).id)
    assert outcome is AttemptOutcome.SCORED
    assert seen_inputs == [["content", "pairs.csv", "style"]] * 2  # smoke and hidden runs: no references/
    prov = _evaluation(session_factory, submission_id).provenance
    assert (prov["reference_protocol"], prov["n_references"]) == ("held-out-references", 4)
