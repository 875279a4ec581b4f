"""Final submissions (issue 15): marking, the K limit, and the best-K default that finalize takes."""
from __future__ import annotations

from datetime import timedelta

import pytest

from arena.core.enums import EvaluationStatus, SubmissionStatus
from arena.core.errors import Forbidden
from arena.core.models import Evaluation, Score
from arena.services.final_choices import FinalChoiceRefused, final_choice_summary, final_submissions, mark_final
from evaluator.metrics.optional_catalog import OPTIONAL_METRICS
from webseed import T0, add_scored, full_scores, make_competition, make_dataset, make_submission, make_user

NOW = T0 + timedelta(days=1)


@pytest.fixture
def world(db_session):
    s = db_session
    comp = make_competition(s, "finals", ends_at=T0 + timedelta(days=10))
    ann, bob = make_user(s, "ann"), make_user(s, "bob")
    s.commit()
    return s, comp, ann, bob


def scored(s, comp, owner, art_fid, minutes, **fields):
    return add_scored(s, comp, owner, full_scores(art_fid), minutes, **fields)


def test_mark_and_unmark(world):
    s, comp, ann, _ = world
    sub = scored(s, comp, ann, 10.0, 1)
    mark_final(s, ann, sub, True, NOW)
    assert sub.marked_final_at == NOW
    mark_final(s, ann, sub, True, NOW + timedelta(hours=1))  # again: no change, no error
    assert sub.marked_final_at == NOW
    mark_final(s, ann, sub, False, NOW)
    assert sub.marked_final_at is None


def test_only_the_owner_may_mark(world):
    s, comp, ann, bob = world
    sub = scored(s, comp, ann, 10.0, 1)
    with pytest.raises(Forbidden):
        mark_final(s, bob, sub, True, NOW)
    assert sub.marked_final_at is None


def test_k_limit_refuses_the_next_one_and_says_to_unmark(world):
    s, comp, ann, _ = world
    subs = [scored(s, comp, ann, 10.0 + i, i) for i in range(3)]
    mark_final(s, ann, subs[0], True, NOW)
    mark_final(s, ann, subs[1], True, NOW)
    with pytest.raises(FinalChoiceRefused) as refused:
        mark_final(s, ann, subs[2], True, NOW)
    assert refused.value.code == "final_limit_reached" and "unmark one first" in refused.value.message
    assert subs[2].marked_final_at is None
    mark_final(s, ann, subs[0], False, NOW)
    mark_final(s, ann, subs[2], True, NOW)
    assert final_submissions(s, comp) == {ann.id: [subs[1].id, subs[2].id]}


def test_k_is_per_competition_and_configurable(world):
    s, comp, ann, _ = world
    other = make_competition(s, "other", final_submissions_k=1)
    a = scored(s, comp, ann, 10.0, 1)
    b, c = scored(s, other, ann, 10.0, 2), scored(s, other, ann, 11.0, 3)
    mark_final(s, ann, a, True, NOW)
    mark_final(s, ann, b, True, NOW)  # another competition: its own K
    with pytest.raises(FinalChoiceRefused, match="marked 1 submission as final"):
        mark_final(s, ann, c, True, NOW)


@pytest.mark.parametrize("when", ["at_end", "after_end"])
def test_refused_from_the_end_date(world, when):
    s, comp, ann, _ = world
    sub = scored(s, comp, ann, 10.0, 1, marked_final_at=NOW)
    now = comp.ends_at if when == "at_end" else comp.ends_at + timedelta(days=1)
    for final in (True, False):
        with pytest.raises(FinalChoiceRefused) as refused:
            mark_final(s, ann, sub, final, now)
        assert refused.value.code == "final_choice_closed" and "ended" in refused.value.message
    assert sub.marked_final_at == NOW
    assert final_choice_summary(s, comp, ann, now).open is False
    mark_final(s, ann, sub, False, comp.ends_at - timedelta(seconds=1))  # just before: allowed
    assert sub.marked_final_at is None


def test_refused_once_finalized(world):
    s, comp, ann, _ = world
    sub = scored(s, comp, ann, 10.0, 1)
    comp.ends_at = None
    comp.finalized_at = NOW
    with pytest.raises(FinalChoiceRefused, match="finalized"):
        mark_final(s, ann, sub, True, NOW)


@pytest.mark.parametrize("fields, code", [
    ({"status": SubmissionStatus.QUEUED}, "not_scored"),
    ({"status": SubmissionStatus.FAILED}, "not_scored"),
    ({"status": SubmissionStatus.DISQUALIFIED, "disqualified_reason": "copy"}, "not_markable"),
    ({"is_baseline": True}, "not_markable"),
    ({"is_rehearsal": True}, "not_markable"),
])
def test_only_scored_participant_submissions_can_be_marked(world, fields, code):
    s, comp, ann, _ = world
    sub = make_submission(s, comp, ann, **fields)
    with pytest.raises(FinalChoiceRefused) as refused:
        mark_final(s, ann, sub, True, NOW)
    assert refused.value.code == code and sub.marked_final_at is None


def test_default_is_best_k_by_public_board_score_earlier_first_on_ties(world):
    s, comp, ann, bob = world
    worst = scored(s, comp, ann, 30.0, 1)
    tie_late = scored(s, comp, ann, 12.0, 5)
    best = scored(s, comp, ann, 11.0, 9)
    tie_early = scored(s, comp, ann, 12.0, 3)
    bob_only = scored(s, comp, bob, 50.0, 2)
    finals = final_submissions(s, comp)
    assert finals == {ann.id: [best.id, tie_early.id], bob.id: [bob_only.id]}
    assert worst.id not in finals[ann.id] and tie_late.id not in finals[ann.id]


def test_a_choice_replaces_the_default_entirely(world):
    s, comp, ann, _ = world
    scored(s, comp, ann, 10.0, 1)
    scored(s, comp, ann, 11.0, 2)
    weak = scored(s, comp, ann, 40.0, 3)
    mark_final(s, ann, weak, True, NOW)
    assert final_submissions(s, comp) == {ann.id: [weak.id]}
    summary = final_choice_summary(s, comp, ann, NOW)
    assert (summary.chosen, summary.k, summary.final_ids, summary.by_default) == (1, 2, (weak.id,), False)


def test_higher_is_better_metric(world):
    s, comp, ann, _ = world
    comp.optional_metrics, comp.ranking_metric = "ssim", "ssim"
    ssim = OPTIONAL_METRICS["ssim"]
    subs = []
    for minutes, value in ((1, 0.5), (2, 0.9), (3, 0.7), (4, 0.9)):
        sub = scored(s, comp, ann, 10.0, minutes)
        evaluation = sub.evaluations[0]
        s.add(Score(evaluation_id=evaluation.id, metric="ssim", value=value, definition_version=ssim.version))
        subs.append(sub)
    # An old definition of the metric is not the board's number: it never counts.
    stale = scored(s, comp, ann, 10.0, 0)
    s.add(Score(evaluation_id=stale.evaluations[0].id, metric="ssim", value=0.99, definition_version="old"))
    s.flush()
    assert final_submissions(s, comp) == {ann.id: [subs[1].id, subs[3].id]}


def test_baselines_rehearsals_disqualified_and_unscored_are_never_finals(world):
    s, comp, ann, bob = world
    organizer = make_user(s, "org")
    scored(s, comp, organizer, 1.0, 1, is_baseline=True)
    scored(s, comp, organizer, 1.0, 2, is_rehearsal=True)
    dq = scored(s, comp, ann, 2.0, 3, status=SubmissionStatus.DISQUALIFIED, marked_final_at=NOW)
    kept = scored(s, comp, ann, 20.0, 4)
    make_submission(s, comp, bob, status=SubmissionStatus.QUEUED)
    # Scored on another dataset version (history, not the counted evaluation).
    scored(s, comp, bob, 1.0, 5, dataset=make_dataset(s, comp.hidden_dataset.split))
    # A counted evaluation still running does not count.
    running = make_submission(s, comp, bob, status=SubmissionStatus.RUNNING)
    s.add(Evaluation(submission=running, dataset_version_id=comp.hidden_dataset_id,
                     scorer_version=comp.scorer_version, status=EvaluationStatus.RUNNING))
    s.flush()
    # ann's disqualified mark is ignored: she falls back to her best eligible one.
    assert final_submissions(s, comp) == {ann.id: [kept.id]}
    summary = final_choice_summary(s, comp, ann, NOW)
    assert summary.chosen == 0 and summary.by_default and summary.final_ids == (kept.id,)


def test_more_marks_than_k_keeps_the_earliest_marked(world):
    s, comp, ann, _ = world
    subs = [scored(s, comp, ann, 10.0 + i, i) for i in range(2)]
    mark_final(s, ann, subs[1], True, NOW)
    mark_final(s, ann, subs[0], True, NOW + timedelta(minutes=1))
    comp.final_submissions_k = 1  # the organizer lowered K after the choices
    s.flush()
    assert final_submissions(s, comp) == {ann.id: [subs[1].id]}


def test_organizer_sets_k_from_the_cli(settings, db_session):
    import json

    from click.testing import CliRunner

    from arena.cli import cli
    from arena.services.competitions import get_competition

    runner = CliRunner()
    created = runner.invoke(cli, ["competition", "create", "kset", "--title", "K", "--json"], obj={"settings": settings})
    assert created.exit_code == 0, created.output
    assert json.loads(created.stdout)["final_submissions_k"] == 2
    done = runner.invoke(cli, ["competition", "configure", "kset", "--final-submissions", "3", "--json"],
                         obj={"settings": settings})
    assert done.exit_code == 0 and json.loads(done.stdout)["final_submissions_k"] == 3
    refused = runner.invoke(cli, ["competition", "configure", "kset", "--final-submissions", "0"],
                            obj={"settings": settings})
    assert refused.exit_code != 0 and "0" in refused.output
    db_session.expire_all()
    assert get_competition(db_session, "kset").final_submissions_k == 3


def test_two_concurrent_marks_cannot_both_take_the_last_place(world, session_factory):
    import threading

    s, comp, ann, _ = world
    comp.final_submissions_k = 1
    first, second = scored(s, comp, ann, 10.0, 1), scored(s, comp, ann, 11.0, 2)
    s.commit()
    a, b = session_factory(), session_factory()
    try:
        from arena.core.models import Submission, User

        mark_final(a, a.get(User, ann.id), a.get(Submission, first.id), True, NOW)  # holds the lock, uncommitted
        outcome = {}

        def other():
            try:
                mark_final(b, b.get(User, ann.id), b.get(Submission, second.id), True, NOW)
                b.commit()
                outcome["result"] = "marked"
            except FinalChoiceRefused as refused:
                outcome["result"] = refused.code
                b.rollback()

        thread = threading.Thread(target=other)
        thread.start()
        thread.join(timeout=1.0)
        assert thread.is_alive(), "the second mark did not wait for the first"
        a.commit()
        thread.join(timeout=30)
        assert outcome == {"result": "final_limit_reached"}
    finally:
        a.close()
        b.close()
    s.expire_all()
    assert final_submissions(s, comp) == {ann.id: [first.id]}
