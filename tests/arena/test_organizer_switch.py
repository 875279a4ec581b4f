"""Issue 19: switching a board's dataset or scorer is refused while submissions are unfinished there;
`rescore status` shows progress per target; the dry run counts queued evaluations as pending."""
from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from arena.cli import cli
from arena.core.enums import EvaluationStatus, SubmissionStatus
from arena.core.models import Competition, Evaluation
from arena.services.competitions import get_competition
from arena.services.rescore import plan_rescore, target_progress
from webseed import add_scored, full_scores, make_submission, make_user


def _publish_hidden(settings, session, root, seed):
    from datasets_helpers import make_dataset as make_files
    from arena.services.publishing import publish

    result = publish(session, settings, make_files(root, name=f"hidden-{seed}", split=None, seed=seed),
                     split="hidden", reference_stats=None)
    return result.version


@pytest.fixture
def board(settings, db_session, tmp_path):
    """A board of three scored submissions, one evaluated on a new hidden set, one queued there."""
    s = db_session
    old = _publish_hidden(settings, s, tmp_path / "h1", seed=11)
    new = _publish_hidden(settings, s, tmp_path / "h2", seed=12)
    comp = Competition(slug="live", title="Live", hidden_dataset=old, scorer_version="s1")
    s.add(comp)
    s.flush()
    users = [make_user(s, n) for n in ("ann", "bob", "cid")]
    subs = [add_scored(s, comp, u, full_scores(10.0 + i), minutes=i) for i, u in enumerate(users)]
    s.add(Evaluation(submission=subs[0], dataset_version_id=new.id, scorer_version=comp.scorer_version,
                     status=EvaluationStatus.SCORED))
    s.add(Evaluation(submission=subs[1], dataset_version_id=new.id, scorer_version=comp.scorer_version,
                     status=EvaluationStatus.QUEUED))
    make_submission(s, comp, users[2], status=SubmissionStatus.DISQUALIFIED)  # not eligible
    s.commit()
    return comp, new, subs


def _run(settings, *args, input=None):
    return CliRunner().invoke(cli, list(args), obj={"settings": settings}, input=input)


def test_unfinished_switch_is_refused_and_changes_nothing(settings, db_session, board):
    comp, new, _ = board
    out = _run(settings, "competition", "configure", "live", "--hidden-dataset", str(new.id))
    assert out.exit_code == 1
    assert "2 of 3 eligible submission(s) have no finished evaluation" in out.output
    assert "1 queued" in out.output and "1 never evaluated" in out.output
    assert "stylearena rescore status live" in out.output and "--force" in out.output
    db_session.expire_all()
    assert get_competition(db_session, "live").hidden_dataset_id != new.id


def test_force_switches_and_says_what_it_hides(settings, db_session, board):
    comp, new, _ = board
    out = _run(settings, "competition", "configure", "live", "--hidden-dataset", str(new.id), "--force")
    assert out.exit_code == 0, out.output
    assert "forced switch: 2 of 3 eligible" in out.output and "hides them" in out.output
    db_session.expire_all()
    assert get_competition(db_session, "live").hidden_dataset_id == new.id
    audit = json.loads(_run(settings, "audit", "live", "--json").stdout)
    switch = next(e for e in audit if e["action"] == "switch")
    assert switch["details"]["forced"] is True and switch["details"]["to"]["hidden_dataset_id"] == new.id


def test_finished_switch_goes_through(settings, db_session, board):
    comp, new, subs = board
    for e in db_session.query(Evaluation).filter(Evaluation.dataset_version_id == new.id):
        e.status = EvaluationStatus.FAILED  # finished, though not scored
    db_session.add(Evaluation(submission=subs[2], dataset_version_id=new.id, scorer_version=comp.scorer_version,
                              status=EvaluationStatus.SCORED))
    db_session.commit()
    out = _run(settings, "competition", "configure", "live", "--hidden-dataset", str(new.id))
    assert out.exit_code == 0 and "forced" not in out.output, out.output


def test_rescore_status_counts_per_target(settings, db_session, board):
    comp, new, _ = board
    rows = {r.dataset_version_id: r for r in target_progress(db_session, comp)}
    current, staged = rows[comp.hidden_dataset_id], rows[new.id]
    assert current.current and (current.scored, current.queued, current.eligible) == (3, 0, 3)
    assert (staged.scored, staged.queued, staged.running, staged.failed, staged.missing) == (1, 1, 0, 0, 1)
    text = _run(settings, "rescore", "status", "live").output
    assert "3 eligible" in text and "(board)" in text and new.manifest_sha256[:12] in text
    doc = json.loads(_run(settings, "rescore", "status", "live", "--json").stdout)
    assert {t["dataset_version_id"]: t["unfinished"] for t in doc["targets"]} == {comp.hidden_dataset_id: 0,
                                                                                  new.id: 2}


def test_watch_returns_when_nothing_is_queued_or_running(settings, db_session, board):
    comp, new, _ = board
    db_session.query(Evaluation).filter(Evaluation.status == EvaluationStatus.QUEUED).update(
        {Evaluation.status: EvaluationStatus.SCORED})
    db_session.commit()
    out = _run(settings, "rescore", "status", "live", "--watch", "--interval", "0.1")
    assert out.exit_code == 0 and "queued" in out.output, out.output


def test_dry_run_counts_queued_as_pending(settings, db_session, board):
    comp, new, _ = board
    plan = plan_rescore(db_session, settings, comp, new)
    assert (plan.already_evaluated, plan.pending, len(plan.items), plan.disqualified) == (1, 1, 1, 1)
    out = _run(settings, "rescore", "live", "--dataset-version", str(new.id), "--dry-run", "--json")
    assert out.exit_code == 0, out.output
    doc = json.loads(out.stdout)
    assert (doc["already_evaluated"], doc["pending"], doc["to_evaluate"]) == (1, 1, 1)
