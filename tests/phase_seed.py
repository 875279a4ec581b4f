"""A competition of two phases with scored entries in each (issue 15's phase-board tests; not a test module)."""
from __future__ import annotations

from datetime import timedelta

import numpy as np
from webseed import T0, add_scored, full_scores, make_competition, make_user

from arena.core.models import ScoreReplicate
from arena.services.phases import PhaseChanges, add_phase
from evaluator.statistics.board import rerank
from evaluator.statistics.ranking import encode

# (participant, phase, ArtFID): dev is led by ann, test by cy; bob is in both.
ENTRIES = [("ann", "dev", 10.0), ("bob", "dev", 30.0), ("bob", "test", 12.0), ("cy", "test", 11.0)]


def seed_phased(session, slug: str = "phased"):
    """Two phases (dev, test), three participants, a baseline; ranks stored for every board."""
    comp = make_competition(session, slug, starts_at=T0 - timedelta(days=1), ends_at=T0 + timedelta(days=30))
    dev = add_phase(session, comp, "dev", PhaseChanges(starts_at=T0 - timedelta(days=1), ends_at=T0 + timedelta(days=10)))
    test = add_phase(session, comp, "test", PhaseChanges(starts_at=T0 + timedelta(days=10), ends_at=T0 + timedelta(days=30)))
    phases = {"dev": dev, "test": test}
    rng = np.random.default_rng(0)
    users = {}
    for i, (name, phase, value) in enumerate(ENTRIES):
        user = users.get(name) or users.setdefault(name, make_user(session, name))
        sub = add_scored(session, comp, user, full_scores(value), minutes=i, label=f"{name}-{phase}",
                         phase_id=phases[phase].id)
        session.add(ScoreReplicate(evaluation_id=sub.evaluations[0].id, metric="art_fid", resamples=200,
                                   data=encode(value + rng.normal(0, 0.2, 200))))
    organizer = make_user(session, "org")
    add_scored(session, comp, organizer, full_scores(20.0), minutes=9, label="baseline", is_baseline=True)
    session.flush()
    rerank(session, comp.id, ["art_fid"])
    session.commit()
    return comp, phases
