"""The owner's live status moves through the real attempt's steps, and a queued one has a position."""
from __future__ import annotations

from pipeline_fixtures import FakeRunner, upload

from arena.core.models import Submission
from arena.web.me.status import submission_status
from evaluator.attempt import AttemptOutcome, run_attempt
from evaluator.context import WorkerContext


def _status(factory, submission_id):
    with factory() as session:
        return submission_status(session.get(Submission, submission_id))


def test_status_follows_the_steps_of_the_attempt(eval_settings, session_factory, world, generator, metric_suite):
    first = upload(eval_settings, session_factory, world, generator)
    second = upload(eval_settings, session_factory, world, generator)
    before = _status(session_factory, second)
    assert (before["step"], before["queue_position"], before["elapsed_s"]) == ("queued", 2, None)
    assert _status(session_factory, first)["queue_position"] == 1

    seen = []
    runner = FakeRunner(on_run=lambda: seen.append(_status(session_factory, first)))
    with session_factory() as session:
        evaluation_id = session.get(Submission, first).evaluations[0].id
    context = WorkerContext(settings=eval_settings, runner=runner, scorer=metric_suite, worker_name="w")
    assert run_attempt(context, evaluation_id) is AttemptOutcome.SCORED
    context.close()
    # The runner is called for the public smoke run, then for the hidden run.
    assert [s["step"] for s in seen] == ["smoke_run", "hidden_run"]
    assert all(s["status"] == "running" and s["elapsed_s"] is not None and s["queue_position"] is None for s in seen)
    after = _status(session_factory, first)
    assert (after["step"], after["final"]) == ("scored", True)
    # The second one moved up the queue.
    assert _status(session_factory, second)["queue_position"] == 1
