"""The demo's finalized competition: finalists upload through the real path; finalize runs once."""
from __future__ import annotations

import numpy as np
from sqlalchemy import select
from webfixtures import torchscript_file  # noqa: F401  (fixture)
from webseed import make_competition

from arena.core.db import make_session_factory
from arena.core.enums import EvaluationStatus, SubmissionStatus
from arena.core.models import PrivateBoardEntry, PrivateScore, Score, Submission
from arena.demo.baselines import BaselineName
from arena.demo.finale import FINALE_SLUG, finalize_finale, submit_finalists
from evaluator.statistics.ranking import encode


def test_finalists_are_submitted_once_and_the_finale_is_finalized_once(settings, db_session, torchscript_file):  # noqa: F811
    comp = make_competition(db_session, FINALE_SLUG)
    comp.hidden_dataset.board_public_fraction, comp.hidden_dataset.board_split_seed = 0.3, 1
    comp.hidden_dataset.board_split_sha256 = "2" * 64
    db_session.commit()
    factory = make_session_factory(db_session.get_bind())
    generators = {name: torchscript_file for name in BaselineName}
    lines: list[str] = []
    ids = submit_finalists(settings, factory, generators, lines.append)
    assert len(ids) == 3 and submit_finalists(settings, factory, generators, lines.append) == ids  # idempotent

    finalize_finale(factory, ids, lines.append)  # nothing scored yet: refused, said so
    assert "not finalized: only 0 of its finalists were scored" in lines[-1]

    rng = np.random.default_rng(1)
    for sid, (public, private) in zip(ids, ((10.0, 30.0), (12.0, 20.0), (14.0, 40.0)), strict=True):
        submission = db_session.get(Submission, sid)
        evaluation = submission.evaluations[0]
        evaluation.status, submission.status = EvaluationStatus.SCORED, SubmissionStatus.SCORED
        db_session.add(Score(evaluation_id=evaluation.id, metric="art_fid", value=public, calibrated=True))
        db_session.add(PrivateScore(evaluation_id=evaluation.id, metric="art_fid", value=private, calibrated=True,
                                    definition_version="1", replicates=encode(private + rng.normal(0, 0.1, 100))))
    db_session.commit()
    finalize_finale(factory, ids, lines.append)
    assert "finalized; private board of 3 entries" in lines[-1]
    db_session.expire_all()
    board = db_session.scalars(select(PrivateBoardEntry).order_by(PrivateBoardEntry.private_rank)).all()
    assert [(e.submission_id, e.public_rank) for e in board] == [(ids[1], 2), (ids[0], 1), (ids[2], 3)]
    assert submit_finalists(settings, factory, generators, lines.append) == []  # finalized: nothing more

