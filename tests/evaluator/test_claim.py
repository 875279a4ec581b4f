"""Claims, leases and fenced writes on both databases."""
from __future__ import annotations

import threading
from datetime import timedelta

import pytest
import sqlalchemy as sa
from pipeline_fixtures import upload

from arena.core.enums import EvaluationStatus, SubmissionStatus
from arena.core.models import Competition, Evaluation, Score, Submission, utcnow
from evaluator.claim import (
    ScoredResult,
    ScoreValue,
    claim_evaluation,
    expire_lease,
    extend_lease,
    finish_failed,
    finish_scored,
)
from evaluator.errors import ParticipantFault, PlatformFault

TIMINGS = {"total_s": 1.0}


def _evaluation_id(factory, submission_id: int) -> int:
    with factory() as session:
        return session.scalar(sa.select(Evaluation.id).where(Evaluation.submission_id == submission_id))


def _result(value: float = 1.0) -> ScoredResult:
    return ScoredResult(scores=(ScoreValue("art_fid", value, "1", False), ScoreValue("fid", value, "1", False)),
                        per_pair={"p0": {"lpips": 0.1}}, provenance={"attempt": 1},
                        outputs_sha256="0" * 64)


def _expire(factory, evaluation_id: int, max_attempts: int = 3) -> EvaluationStatus | None:
    with factory() as session:
        session.execute(sa.update(Evaluation).where(Evaluation.id == evaluation_id)
                        .values(lease_expires_at=utcnow() - timedelta(seconds=1)))
        session.commit()
        status = expire_lease(session, session.get(Evaluation, evaluation_id), max_attempts, "worker_lost")
        session.commit()
        return status


@pytest.fixture
def evaluation_id(eval_settings, session_factory, world, generator) -> int:
    return _evaluation_id(session_factory, upload(eval_settings, session_factory, world, generator))


def test_claim_is_won_once_and_marks_the_submission_running(session_factory, evaluation_id):
    first = claim_evaluation(session_factory, evaluation_id, "w1", 30, 3)
    second = claim_evaluation(session_factory, evaluation_id, "w2", 30, 3)
    assert first is not None and first.attempt == 1 and first.owner == "w1"
    assert second is None
    with session_factory() as session:
        evaluation = session.get(Evaluation, evaluation_id)
        assert evaluation.status is EvaluationStatus.RUNNING and evaluation.lease_owner == "w1"
        assert evaluation.submission.status is SubmissionStatus.RUNNING


def test_late_completion_of_a_fenced_attempt_changes_nothing(session_factory, evaluation_id):
    first = claim_evaluation(session_factory, evaluation_id, "w1", 30, 3)
    assert extend_lease(session_factory, first, 30) is not None
    assert _expire(session_factory, evaluation_id) is EvaluationStatus.QUEUED
    second = claim_evaluation(session_factory, evaluation_id, "w2", 30, 3)
    assert second is not None and second.attempt == 2

    # The orphaned attempt 1 wakes up: its lease extension and its result are both refused.
    assert extend_lease(session_factory, first, 30) is None
    assert finish_scored(session_factory, first, _result(99.0), TIMINGS) is False
    assert finish_failed(session_factory, first, ParticipantFault("generator_crashed", "x"), 3) is None
    with session_factory() as session:
        assert session.scalar(sa.select(sa.func.count(Score.id))) == 0
        assert session.get(Evaluation, evaluation_id).status is EvaluationStatus.RUNNING

    assert finish_scored(session_factory, second, _result(2.0), TIMINGS) is True
    assert finish_scored(session_factory, first, _result(99.0), TIMINGS) is False
    with session_factory() as session:
        evaluation = session.get(Evaluation, evaluation_id)
        assert evaluation.status is EvaluationStatus.SCORED and evaluation.attempt == 2
        assert sorted(s.value for s in evaluation.scores) == [2.0, 2.0]
        assert evaluation.submission.status is SubmissionStatus.SCORED


def test_platform_faults_retry_then_fail_without_charging_the_quota(session_factory, evaluation_id):
    for attempt in (1, 2):
        claim = claim_evaluation(session_factory, evaluation_id, "w", 30, 3)
        assert claim.attempt == attempt
        assert finish_failed(session_factory, claim, PlatformFault("docker_unavailable", "down"), 3) \
            is EvaluationStatus.QUEUED
    claim = claim_evaluation(session_factory, evaluation_id, "w", 30, 3)
    assert finish_failed(session_factory, claim, PlatformFault("docker_unavailable", "down"), 3) \
        is EvaluationStatus.FAILED
    assert claim_evaluation(session_factory, evaluation_id, "w", 30, 3) is None
    with session_factory() as session:
        evaluation = session.get(Evaluation, evaluation_id)
        assert evaluation.platform_faults == 3 and evaluation.error_code == "docker_unavailable"
        submission = evaluation.submission
        assert submission.status is SubmissionStatus.FAILED
        assert submission.counts_against_quota is False
        assert "does not count against your daily quota" in submission.error_message


def test_participant_fault_is_final_and_counts(session_factory, evaluation_id):
    claim = claim_evaluation(session_factory, evaluation_id, "w", 30, 3)
    status = finish_failed(session_factory, claim, ParticipantFault(
        "generator_crashed", "Your generator raised.", log="Traceback ...", detail="ValueError: secret"), 3)
    assert status is EvaluationStatus.FAILED
    assert claim_evaluation(session_factory, evaluation_id, "w", 30, 3) is None
    with session_factory() as session:
        submission = session.scalar(sa.select(Submission))
        assert (submission.status, submission.error_code) == (SubmissionStatus.FAILED, "generator_crashed")
        assert submission.counts_against_quota is True and submission.public_log == "Traceback ..."
        # The technical detail is the organizers': kept on the evaluation, never on the submission.
        evaluation = session.get(Evaluation, evaluation_id)
        assert evaluation.error_detail == "ValueError: secret"
        assert "secret" not in (submission.error_message or "")


def test_expired_lease_after_last_attempt_fails_with_platform_code(session_factory, evaluation_id):
    claim_evaluation(session_factory, evaluation_id, "w", 30, 1)
    assert _expire(session_factory, evaluation_id, max_attempts=1) is EvaluationStatus.FAILED
    with session_factory() as session:
        submission = session.scalar(sa.select(Submission))
        assert submission.error_code == "worker_lost" and submission.counts_against_quota is False


def test_a_live_lease_is_not_expired(session_factory, evaluation_id):
    claim_evaluation(session_factory, evaluation_id, "w", 30, 3)
    with session_factory() as session:
        assert expire_lease(session, session.get(Evaluation, evaluation_id), 3, "worker_lost") is None


def test_concurrent_claims_have_one_winner(session_factory, evaluation_id):
    winners, barrier = [], threading.Barrier(4)

    def race(name: str) -> None:
        barrier.wait()
        claim = claim_evaluation(session_factory, evaluation_id, name, 30, 3)
        if claim is not None:
            winners.append(claim)

    threads = [threading.Thread(target=race, args=(f"w{i}",)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert len(winners) == 1 and winners[0].attempt == 1


def test_a_score_landing_on_the_board_moves_its_revision(session_factory, evaluation_id):
    # The public board caches (arena.web.board_version) serve their copy while the revision stands still.
    def revision() -> int:
        with session_factory() as session:
            return session.execute(sa.select(Competition.board_revision).join(Submission).join(Evaluation)
                                   .where(Evaluation.id == evaluation_id)).scalar_one()

    before = revision()
    claim = claim_evaluation(session_factory, evaluation_id, "w", 30, 3)
    assert revision() == before  # running: nothing the board shows has changed
    assert finish_scored(session_factory, claim, _result(2.0), TIMINGS) is True
    # The landing's own transaction bumps it, and the re-rank after it bumps it again.
    assert revision() == before + 2
