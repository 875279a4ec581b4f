"""Which evaluation counts: the Python and SQL forms of the one rule agree, on both databases."""
from __future__ import annotations

import sqlalchemy as sa
from test_models import make_submission, make_world

from arena.core.enums import DatasetSplit, EvaluationKind, EvaluationStatus
from arena.core.models import DatasetVersion, Evaluation
from arena.core.target import EvaluationTarget


def _evaluation(submission, dataset, scorer):
    return Evaluation(submission=submission, dataset_version_id=dataset.id, scorer_version=scorer,
                      kind=EvaluationKind.RESCORE, status=EvaluationStatus.SCORED, attempt=1,
                      provenance={}, timings={})


def test_python_and_sql_forms_select_the_same_evaluations(db_session):
    user, current, comp = make_world(db_session)
    other = DatasetVersion(manifest_sha256="c" * 64, name="other", split=DatasetSplit.HIDDEN,
                           n_content=1, n_style=1, n_pairs=1, storage_path="/tmp/y")
    db_session.add(other)
    comp.scorer_version = "s2"
    submission = make_submission(user, comp)
    db_session.add(submission)
    db_session.flush()
    evaluations = [_evaluation(submission, d, s) for d in (current, other) for s in ("s1", "s2")]
    db_session.add_all(evaluations)
    db_session.flush()

    target = EvaluationTarget.of(comp)
    in_python = {e.id for e in evaluations if target.counts(e)}
    in_sql = set(db_session.scalars(sa.select(Evaluation.id).where(target.condition())))
    assert in_python == in_sql == {evaluations[1].id}  # current dataset, scorer s2

    comp.hidden_dataset = other
    db_session.flush()
    moved = EvaluationTarget.of(comp)
    assert {e.id for e in evaluations if moved.counts(e)} == {evaluations[3].id}
    assert set(db_session.scalars(sa.select(Evaluation.id).where(moved.condition()))) == {evaluations[3].id}


def test_a_competition_without_a_hidden_set_counts_nothing(db_session):
    user, dataset, comp = make_world(db_session)
    submission = make_submission(user, comp)
    db_session.add(submission)
    db_session.flush()
    evaluation = _evaluation(submission, dataset, comp.scorer_version)
    db_session.add(evaluation)
    comp.hidden_dataset = None
    db_session.flush()
    target = EvaluationTarget.of(comp)
    assert not target.counts(evaluation)
    assert db_session.scalars(sa.select(Evaluation.id).where(target.condition())).all() == []
