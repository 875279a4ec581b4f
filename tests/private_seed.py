"""A split competition whose private part reorders its public board (issue 15's tests; not a test module)."""
from __future__ import annotations

from datetime import timedelta

import numpy as np
from webseed import add_scored, full_scores, make_competition, make_user

from arena.core.models import PrivateScore, utcnow
from evaluator.statistics.ranking import encode

# Private values no page may show before finalize: distinctive digits, far from the public ones.
PRIVATE = {"ann": 7319.31, "bob": 8423.47, "cy": 9561.83, "dee": 6187.29}
PUBLIC = {"ann": 11.0, "bob": 12.0, "cy": 13.0, "dee": 14.0}
# bob's second submission: worse on the public board, best on the private part, marked final by him.
BOB_FINAL_PRIVATE = 5000.5


def seed_finale(session, slug: str, **competition_fields):
    """Four participants (ann leads the public board; bob's marked final wins the private one)."""
    competition_fields.setdefault("ends_at", utcnow() - timedelta(hours=1))
    comp = make_competition(session, slug, **competition_fields)
    comp.hidden_dataset.board_public_fraction, comp.hidden_dataset.board_split_seed = 0.3, 1
    comp.hidden_dataset.board_split_sha256 = "0" * 64
    rng = np.random.default_rng(0)
    users = {name: make_user(session, name) for name in PRIVATE}
    subs = {}
    for minutes, name in enumerate(PRIVATE):
        sub = add_scored(session, comp, users[name], full_scores(PUBLIC[name]), minutes=minutes, label=f"{name}-v1")
        _private(session, sub, PRIVATE[name], rng)
        subs[name] = sub
    worse = add_scored(session, comp, users["bob"], full_scores(15.0), minutes=9, label="bob-v2")
    _private(session, worse, BOB_FINAL_PRIVATE, rng)
    worse.marked_final_at = utcnow()
    session.commit()
    return comp, users, subs, worse


def _private(session, submission, value: float, rng) -> None:
    draws = value + rng.normal(0, 5, 200)
    session.add(PrivateScore(evaluation_id=submission.evaluations[0].id, metric="art_fid", value=value,
                             ci_low=value - 10, ci_high=value + 10, calibrated=True, definition_version="1",
                             replicates=encode(draws)))
    session.flush()
