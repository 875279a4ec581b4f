"""The pipeline stores the hidden run's measured cost with the scores, and a scorer-only rescore keeps it."""
from __future__ import annotations

from dataclasses import replace

from pipeline_fixtures import FakeRunner, upload

from arena.core.models import Competition, EvaluationEfficiency, Submission
from arena.services.rescore import apply_rescore, plan_rescore
from evaluator.attempt import AttemptOutcome, run_attempt
from evaluator.context import WorkerContext
from sandbox.efficiency import Efficiency

COST = Efficiency(latency_median_ms=12.5, latency_p95_ms=20.0, throughput_ips=80.0, batch_size=4, timed_pairs=1,
                  warmup_pairs=1, load_s=0.2, peak_rss_mb=300.0, peak_device_mb=None, parameter_count=84,
                  parameter_bytes=336, parameter_source="exact", size_bytes=999, run_s=3.0, device="cpu", cpus=1.0,
                  memory_mb=1024)


class MeasuringRunner(FakeRunner):
    """FakeRunner whose hidden runs come back with measured cost (the smoke run's differs, and must not be stored)."""

    def run(self, submission_path, submission_format, inputs_dir, output_dir, limits, labels, abort=None):
        result = super().run(submission_path, submission_format, inputs_dir, output_dir, limits, labels, abort)
        smoke = labels.get("stylearena.split") == "public"
        return replace(result, efficiency=replace(COST, latency_median_ms=1.0, latency_p95_ms=1.0) if smoke else COST)


def test_hidden_run_cost_is_stored_and_carried_over_by_a_rescore(eval_settings, session_factory, world, generator,
                                                                  metric_suite):
    submission_id = upload(eval_settings, session_factory, world, generator)
    with session_factory() as session:
        first = session.get(Submission, submission_id).evaluations[0].id
    context = WorkerContext(settings=eval_settings, runner=MeasuringRunner(), scorer=metric_suite, worker_name="w")
    assert run_attempt(context, first) is AttemptOutcome.SCORED
    context.close()
    with session_factory() as session:
        stored = session.get(EvaluationEfficiency, first)
        assert stored is not None and stored.latency_median_ms == 12.5  # the hidden run's, not the smoke run's
        assert (stored.parameter_count, stored.cpus, stored.memory_mb) == (84, 1.0, 1024)
        competition = session.get(Competition, world.competition_id)
        ids = apply_rescore(session, eval_settings, plan_rescore(session, eval_settings, competition, None, "2"))
    runner = MeasuringRunner()
    context = WorkerContext(settings=eval_settings, runner=runner, scorer=metric_suite, worker_name="w", scorer_id="2")
    assert run_attempt(context, ids[0]) is AttemptOutcome.SCORED
    context.close()
    assert runner.calls == 0  # scored from the stored outputs: the cost is the earlier run's
    with session_factory() as session:
        carried = session.get(EvaluationEfficiency, ids[0])
        assert carried is not None and carried.latency_median_ms == 12.5 and carried.size_bytes == 999
