"""Fair charging: a public smoke-run failure is free (up to its own cap); hidden failures count."""
from __future__ import annotations

import pytest
from pipeline_fixtures import FakeRunner, make_world, upload

from arena.core.models import Submission, User
from arena.services.submissions import QuotaExceeded, smoke_failure_cap, uploads_today
from evaluator.attempt import AttemptOutcome, run_attempt
from evaluator.context import WorkerContext


def _run(settings, factory, submission_id, suite, *modes):
    with factory() as session:
        evaluation_id = session.get(Submission, submission_id).evaluations[0].id
    context = WorkerContext(settings=settings, runner=FakeRunner(*modes), scorer=suite, worker_name="w")
    try:
        return run_attempt(context, evaluation_id)
    finally:
        context.close()


def _counted(factory, world) -> int:
    from arena.core.models import Competition, utcnow

    with factory() as session:
        return uploads_today(session, session.get(User, world.user_id),
                             session.get(Competition, world.competition_id), utcnow())


def test_smoke_failures_are_free_and_hidden_failures_count(eval_settings, session_factory, generator,
                                                           metric_suite, tmp_path):
    world = make_world(eval_settings, session_factory, tmp_path / "sets", quota=2, slug="charged")
    smoke = upload(eval_settings, session_factory, world, generator)
    assert _counted(session_factory, world) == 1  # in flight: it counts until it fails on the smoke run
    assert _run(eval_settings, session_factory, smoke, metric_suite, "crash") is AttemptOutcome.FAILED
    hidden = upload(eval_settings, session_factory, world, generator)
    assert _run(eval_settings, session_factory, hidden, metric_suite, "ok", "crash") is AttemptOutcome.FAILED
    with session_factory() as session:
        smoke_row, hidden_row = session.get(Submission, smoke), session.get(Submission, hidden)
        assert (smoke_row.counts_against_quota, smoke_row.failed_on_smoke) == (False, True)
        assert (hidden_row.counts_against_quota, hidden_row.failed_on_smoke) == (True, False)
    assert _counted(session_factory, world) == 1
    upload(eval_settings, session_factory, world, generator)  # the second counted upload of two
    with pytest.raises(QuotaExceeded) as err:
        upload(eval_settings, session_factory, world, generator)
    assert err.value.code == "quota_exceeded" and "fails the public smoke run does not" in err.value.message


def test_free_smoke_failures_have_their_own_cap(eval_settings, session_factory, generator, metric_suite, tmp_path):
    world = make_world(eval_settings, session_factory, tmp_path / "sets", quota=1, slug="capped")
    from arena.core.models import Competition

    with session_factory() as session:
        cap = smoke_failure_cap(session.get(Competition, world.competition_id))
    for _ in range(cap):
        submission_id = upload(eval_settings, session_factory, world, generator)
        assert _run(eval_settings, session_factory, submission_id, metric_suite, "crash") is AttemptOutcome.FAILED
    with pytest.raises(QuotaExceeded) as err:
        upload(eval_settings, session_factory, world, generator)
    assert err.value.code == "smoke_failures_exceeded" and "failed the public smoke run" in err.value.message
