"""Ties and separation on real scored evaluations: the worker's pipeline, the stored ranks, the board.

Three participants' outputs are scored by the real metric suite (seeded backbones) through
``run_attempt``: two add noise of the same strength with different seeds (they differ by less
than the noise), one adds far stronger noise. The fenced write stores intervals and replicates
and re-ranks the board; the page and the JSON serve the stored ranks.
"""
from __future__ import annotations

import csv
import io
import json

import numpy as np
import pytest
import sqlalchemy as sa
from PIL import Image
from pipeline_fixtures import FakeRunner, make_world

from arena import create_app
from arena.core.db import transaction
from arena.core.models import BoardRank, Competition, Evaluation, Score, ScoreReplicate, Submission, User
from arena.services.accounts import create_user
from arena.services.leaderboard import RankState, leaderboard_rows
from arena.services.submissions import create_submission
from evaluator.attempt import AttemptOutcome, run_attempt
from evaluator.context import WorkerContext
from evaluator.statistics.protocol import DEFAULT_RESAMPLES, DEFAULT_SEED, METHOD
from evaluator.statistics.ranking import decode

N_PAIRS = 24
METRIC = "lpips"


class NoisyRunner(FakeRunner):
    """Outputs are the content images plus seeded Gaussian noise of one strength (no Docker)."""

    def __init__(self, sigma: float, seed: int) -> None:
        super().__init__("ok")
        self.sigma, self.seed = sigma, seed

    def run(self, submission_path, submission_format, inputs_dir, output_dir, limits, labels, abort=None):
        result = super().run(submission_path, submission_format, inputs_dir, output_dir, limits, labels, abort)
        rng = np.random.default_rng(self.seed)
        for path in sorted(output_dir.glob("*.png")):
            pixels = np.asarray(Image.open(path).convert("RGB"), dtype=np.float64)
            noisy = np.clip(pixels + rng.normal(0.0, self.sigma, pixels.shape), 0, 255).astype(np.uint8)
            Image.fromarray(noisy, "RGB").save(path, format="PNG")
        return result


def _submit_and_score(settings, factory, world, generator, suite, username, sigma, seed) -> int:
    with transaction(factory) as session:
        user = create_user(session, username, "correct horse battery")
        submission = create_submission(session, settings, user, session.get(Competition, world.competition_id),
                                       upload_path=generator, original_filename=generator.name, label=username)
        evaluation_id = submission.evaluations[0].id
    context = WorkerContext(settings=settings, runner=NoisyRunner(sigma, seed), scorer=suite, worker_name="w")
    try:
        assert run_attempt(context, evaluation_id) is AttemptOutcome.SCORED
    finally:
        context.close()
    return evaluation_id


# Three real scorings (about a minute on two shared cores); the rank rule itself runs on both
# databases in tests/arena/test_leaderboard_ties.py.
@pytest.mark.slow
@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_close_entries_tie_and_a_distant_one_is_separated(eval_settings, session_factory, tmp_path, generator,
                                                           metric_suite):
    world = make_world(eval_settings, session_factory, tmp_path / "sets", public=False, n_pairs=N_PAIRS)
    with transaction(session_factory) as session:
        session.get(Competition, world.competition_id).ranking_metric = METRIC
    # Two entries within the noise of each other, one far behind.
    close_a = _submit_and_score(eval_settings, session_factory, world, generator, metric_suite, "ann", 40.0, 1)
    close_b = _submit_and_score(eval_settings, session_factory, world, generator, metric_suite, "bob", 40.0, 2)
    far = _submit_and_score(eval_settings, session_factory, world, generator, metric_suite, "cid", 140.0, 3)

    with session_factory() as session:
        evaluation = session.get(Evaluation, far)
        intervals = evaluation.provenance["intervals"]
        assert (intervals["method"], intervals["resamples"], intervals["seed"]) == (METHOD, DEFAULT_RESAMPLES,
                                                                                   DEFAULT_SEED)
        assert "kid" in intervals["skipped"]  # not resampled, and says why
        scores = {s.metric: s for s in evaluation.scores}
        assert scores["kid"].ci_low is None
        for name in (METRIC, "fid", "content_loss", "style_loss"):
            assert scores[name].ci_low <= scores[name].value <= scores[name].ci_high, name
            assert scores[name].ci_high > scores[name].ci_low
        replicates = {r.metric: r for r in session.scalars(
            sa.select(ScoreReplicate).where(ScoreReplicate.evaluation_id == far))}
        assert replicates[METRIC].resamples == DEFAULT_RESAMPLES
        assert len(decode(replicates[METRIC].data)) == DEFAULT_RESAMPLES

        # The point estimates: the close pair within noise, the far entry well behind both.
        values = dict(session.execute(sa.select(Score.evaluation_id, Score.value).where(Score.metric == METRIC)).all())
        assert max(values[close_a], values[close_b]) < values[far]

        stored = {r.evaluation_id: r for r in session.scalars(
            sa.select(BoardRank).where(BoardRank.competition_id == world.competition_id, BoardRank.metric == METRIC))}
        assert set(stored) == {close_a, close_b, far}
        assert stored[close_a].rank == stored[close_b].rank == 1 and stored[close_a].tied and stored[close_b].tied
        assert stored[far].rank == 3 and not stored[far].tied and stored[far].statistical

        rows = leaderboard_rows(session, session.get(Competition, world.competition_id), METRIC)
        assert [r.rank for r in rows] == [1, 1, 3]
        assert [r.tied for r in rows] == [True, True, False]
        # Tied entries earn no medal; the far entry is third and alone (nothing below it).
        assert [r.medal for r in rows] == [False, False, True]
        assert all(r.rank_state is RankState.STATISTICAL for r in rows)
        computed_at = {r.evaluation_id: r.computed_at for r in stored.values()}

    # The page, the JSON and the CSV serve the stored ranks; a request computes nothing.
    client = create_app(eval_settings).test_client()
    page = client.get(f"/competitions/{world.slug}/leaderboard?metric={METRIC}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert html.count('data-tied="true"') == 2 and ">=1<" in html and " ±" in html
    doc = json.loads(client.get(f"/competitions/{world.slug}/leaderboard.json?metric={METRIC}").get_data(as_text=True))
    assert [(r["rank"], r["tied"], r["medal"]) for r in doc["rows"]] == [(1, True, False), (1, True, False), (3, False, True)]
    low, high = doc["rows"][2]["intervals"][METRIC]
    assert low <= doc["rows"][2]["metrics"][METRIC] <= high
    assert doc["statistics_protocol"].startswith(METHOD)
    table = list(csv.DictReader(io.StringIO(
        client.get(f"/competitions/{world.slug}/leaderboard.csv?metric={METRIC}").get_data(as_text=True))))
    assert [row["tied"] for row in table] == ["1", "1", "0"] and table[2][f"{METRIC}_low"]
    with session_factory() as session:
        assert {r.evaluation_id: r.computed_at for r in session.scalars(
            sa.select(BoardRank).where(BoardRank.metric == METRIC))} == computed_at
        # Who is who: the far entry is cid's.
        far_owner = session.get(Evaluation, far).submission.owner
        assert isinstance(far_owner, User) and far_owner.username == "cid"
        assert session.get(Submission, session.get(Evaluation, close_a).submission_id).label == "ann"
