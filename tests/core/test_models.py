"""Model constraints and enum round-trips, on SQLite and PostgreSQL."""
from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError, StatementError

from arena.core.enums import (
    CompetitionStatus,
    DatasetSplit,
    EvaluationStatus,
    SubmissionFormat,
    SubmissionStatus,
    UserRole,
)
from arena.core.models import Competition, DatasetVersion, Evaluation, Score, Submission, User, utcnow


def make_world(session):
    user = User(username="ada", password_hash="x", role=UserRole.ORGANIZER)
    dataset = DatasetVersion(
        manifest_sha256="a" * 64, name="demo", split=DatasetSplit.HIDDEN,
        n_content=2, n_style=2, n_pairs=4, storage_path="/tmp/x",
    )
    comp = Competition(slug="c1", title="C1", hidden_dataset=dataset)
    session.add_all([user, dataset, comp])
    session.flush()
    return user, dataset, comp


def make_submission(user, comp, **kw):
    return Submission(
        owner=user, competition=comp, original_filename="g.pt", sha256="b" * 64,
        size_bytes=10, format=SubmissionFormat.TORCHSCRIPT, **kw,
    )


def test_enums_round_trip(db_session):
    user, dataset, comp = make_world(db_session)
    sub = make_submission(user, comp, status=SubmissionStatus.DISQUALIFIED)
    db_session.add(sub)
    db_session.commit()
    db_session.expire_all()

    row = db_session.get(Submission, sub.id)
    assert row.status is SubmissionStatus.DISQUALIFIED
    assert row.format is SubmissionFormat.TORCHSCRIPT
    assert db_session.get(User, user.id).role is UserRole.ORGANIZER
    assert db_session.get(Competition, comp.id).status is CompetitionStatus.OPEN
    assert db_session.get(DatasetVersion, dataset.id).split is DatasetSplit.HIDDEN
    # Stored as the plain value strings, so SQL reports and other tools can read them.
    raw = db_session.execute(sa.text("SELECT status FROM submissions")).scalar_one()
    assert raw == "disqualified"


def test_datetimes_come_back_timezone_aware(db_session):
    user, _, comp = make_world(db_session)
    sub = make_submission(user, comp)
    db_session.add(sub)
    db_session.commit()
    db_session.expire_all()
    created = db_session.get(Submission, sub.id).created_at
    assert created.tzinfo is not None
    assert abs(created - utcnow()) < timedelta(minutes=1)


def test_unknown_status_string_is_rejected_by_the_database(db_session):
    user, _, comp = make_world(db_session)
    db_session.add(make_submission(user, comp))
    db_session.commit()
    with pytest.raises(IntegrityError):
        db_session.execute(sa.text("UPDATE submissions SET status = 'bogus'"))
        db_session.commit()
    db_session.rollback()


def test_invalid_enum_value_is_rejected_before_sql(db_session):
    user, _, comp = make_world(db_session)
    sub = make_submission(user, comp)
    sub.status = "bogus"
    db_session.add(sub)
    with pytest.raises(StatementError):
        db_session.flush()
    db_session.rollback()


def test_unique_username(db_session):
    db_session.add(User(username="dup", password_hash="x"))
    db_session.commit()
    db_session.add(User(username="dup", password_hash="y"))
    with pytest.raises(IntegrityError):
        db_session.commit()
    db_session.rollback()


def test_one_evaluation_per_submission_dataset_and_scorer(db_session):
    user, dataset, comp = make_world(db_session)
    sub = make_submission(user, comp)
    db_session.add(sub)
    db_session.flush()
    db_session.add(Evaluation(submission=sub, dataset_version=dataset, scorer_version="1"))
    db_session.commit()
    db_session.add(Evaluation(submission=sub, dataset_version=dataset, scorer_version="2"))
    db_session.commit()  # another scorer version is a new evaluation, not a conflict
    db_session.add(Evaluation(submission=sub, dataset_version=dataset, scorer_version="1"))
    with pytest.raises(IntegrityError):
        db_session.commit()
    db_session.rollback()


def test_one_score_per_metric_and_negative_quota_rejected(db_session):
    user, dataset, comp = make_world(db_session)
    sub = make_submission(user, comp)
    ev = Evaluation(submission=sub, dataset_version=dataset, scorer_version="1",
                    status=EvaluationStatus.SCORED)
    db_session.add_all([sub, ev])
    db_session.flush()
    db_session.add(Score(evaluation=ev, metric="fid", value=1.5))
    db_session.commit()
    db_session.add(Score(evaluation=ev, metric="fid", value=2.5))
    with pytest.raises(IntegrityError):
        db_session.commit()
    db_session.rollback()

    comp = db_session.get(Competition, comp.id)
    comp.daily_quota = -1
    with pytest.raises(IntegrityError):
        db_session.commit()
    db_session.rollback()


def test_deleting_a_submission_cascades_to_evaluations_and_scores(db_session):
    user, dataset, comp = make_world(db_session)
    sub = make_submission(user, comp)
    ev = Evaluation(submission=sub, dataset_version=dataset, scorer_version="1")
    ev.scores.append(Score(metric="lpips", value=0.3))
    db_session.add(sub)
    db_session.commit()
    db_session.delete(sub)
    db_session.commit()
    assert db_session.scalar(sa.select(sa.func.count()).select_from(Score)) == 0
    assert db_session.scalar(sa.select(sa.func.count()).select_from(Evaluation)) == 0
