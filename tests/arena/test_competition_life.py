"""One competition's whole life (issue 15): phases open and close by date, uploads outside them are
refused, participants choose finals, finalize publishes the private board with its shake-up.

Uploads go through the real service (validated, stored, enqueued on real Redis) at chosen
times; the worker's result is written as it writes it (public part in ``scores``, private part
in ``private_scores``: the pipeline side is ``tests/evaluator/test_board_parts.py``).
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import numpy as np
import pytest
from click.testing import CliRunner
from webfixtures import app, torchscript_file  # noqa: F401  (fixtures)
from webseed import make_competition, make_user

from arena.cli import cli
from arena.core.enums import EvaluationStatus, SubmissionStatus
from arena.core.errors import ArenaError
from arena.core.models import Phase, PrivateScore, Score
from arena.services.final_choices import mark_final
from arena.services.phases import PhaseChanges, add_phase
from arena.services.submissions import create_submission
from arena.services.upload_rules import upload_refusal
from evaluator.statistics.ranking import basic_interval, encode

NOW = datetime.now(timezone.utc).replace(microsecond=0)
DEV_OPENS, DEV_CLOSES = NOW - timedelta(days=20), NOW - timedelta(days=12)
TEST_OPENS, ENDS = NOW - timedelta(days=10), NOW - timedelta(hours=2)
# (participant, public ArtFID, private ArtFID) per upload; the private part reverses ann and cy.
UPLOADS = [("ann", 20.0, 31.0), ("ann", 22.0, 24.0), ("bob", 21.0, 26.0), ("cy", 25.0, 22.5)]


def _score(session, submission, public: float, private: float, rng) -> None:
    """What the worker writes for a split version: public part as scores, private part beside."""
    evaluation = submission.evaluations[0]
    evaluation.status, submission.status = EvaluationStatus.SCORED, SubmissionStatus.SCORED
    for table, value in ((Score, public), (PrivateScore, private)):
        draws = value + rng.normal(0, 0.3, 300)
        low, high = basic_interval(value, draws)
        extra = {"replicates": encode(draws)} if table is PrivateScore else {}
        session.add(table(evaluation_id=evaluation.id, metric="art_fid", value=value, ci_low=low, ci_high=high,
                          definition_version="1", calibrated=True, **extra))
    session.flush()


def test_a_competition_from_its_first_phase_to_its_private_board(app, settings, db_session,  # noqa: F811
                                                                   torchscript_file):  # noqa: F811
    comp = make_competition(db_session, "life", starts_at=DEV_OPENS, ends_at=ENDS, daily_quota=3)
    comp.hidden_dataset.board_public_fraction, comp.hidden_dataset.board_split_seed = 0.3, 7
    comp.hidden_dataset.board_split_sha256 = "1" * 64
    add_phase(db_session, comp, "development", PhaseChanges(starts_at=DEV_OPENS, ends_at=DEV_CLOSES))
    add_phase(db_session, comp, "test", PhaseChanges(starts_at=TEST_OPENS, ends_at=ENDS))
    users = {name: make_user(db_session, name) for name in ("ann", "bob", "cy")}
    db_session.commit()

    # Phases open and close by date; between and after them uploads are refused, saying when.
    assert upload_refusal(comp, users["ann"], DEV_OPENS + timedelta(days=1)) is None
    code, message = upload_refusal(comp, users["ann"], DEV_CLOSES + timedelta(hours=1))
    assert code == "no_open_phase" and "“test”, opens on" in message
    code, message = upload_refusal(comp, users["ann"], ENDS + timedelta(minutes=5))
    assert code == "ended" and "no longer accepts uploads" in message
    with pytest.raises(ArenaError) as refused:
        create_submission(db_session, settings, users["bob"], comp, upload_path=torchscript_file,
                          original_filename="m.pt", now=DEV_CLOSES + timedelta(days=1))
    assert refused.value.code == "no_open_phase"

    rng = np.random.default_rng(3)
    made = []
    for i, (name, public, private) in enumerate(UPLOADS):
        when = (DEV_OPENS if i < 2 else TEST_OPENS) + timedelta(hours=1 + i)
        submission = create_submission(db_session, settings, users[name], comp, upload_path=torchscript_file,
                                       original_filename="m.pt", label=f"{name}-{i}", now=when)
        phase = db_session.get(Phase, submission.phase_id)
        assert phase.name == ("development" if i < 2 else "test")
        _score(db_session, submission, public, private, rng)
        made.append(submission)
    db_session.commit()

    # ann chooses her second upload (worse on the public board); bob and cy choose nothing.
    mark_final(db_session, users["ann"], made[1], True, now=ENDS - timedelta(hours=1))
    with pytest.raises(ArenaError):
        mark_final(db_session, users["bob"], made[2], True, now=ENDS + timedelta(minutes=1))  # too late
    db_session.commit()

    # Before finalize nothing private is published: the page 404s, the JSON too.
    client = app.test_client()
    assert client.get("/competitions/life/private").status_code == 404
    listed = client.get("/competitions/life/leaderboard.json").get_json()["rows"]
    assert [(r["participant"], r["metrics"]["art_fid"]) for r in listed] == [("ann", 20.0), ("bob", 21.0), ("cy", 25.0)]

    result = CliRunner().invoke(cli, ["competition", "finalize", "life"], obj={"settings": settings})
    assert result.exit_code == 0, result.output
    board = client.get("/competitions/life/private.json").get_json()["entries"]
    # Private order: cy 22.5, ann (her chosen final) 24.0, bob 26.0; public ranks were ann 1, bob 2, cy 3.
    assert [(e["username"], e["private_rank"], e["public_rank"], e["shake_up"], e["chosen"]) for e in board] == [
        ("cy", 1, 3, 2, False), ("ann", 2, 1, -1, True), ("bob", 3, 2, -1, False)]
    assert board[1]["submission_id"] == made[1].id
    # Finalized: uploads frozen, finals frozen, a second finalize refused.
    db_session.expire_all()
    assert upload_refusal(comp, users["cy"], datetime.now(timezone.utc))[0] == "finalized"
    again = CliRunner().invoke(cli, ["competition", "finalize", "life"], obj={"settings": settings})
    assert again.exit_code != 0 and "was finalized" in again.output

