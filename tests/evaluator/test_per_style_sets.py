"""Per-style FID/KID: each style's outputs against its own references, thresholds, public part only.

Expected values come from ``frechet_distance``/``kernel_inception_distance`` called directly on
the rows a test selects itself (by pair style and reference file name), not from the module.
"""
from __future__ import annotations

import numpy as np
import pytest

from arena.core.db import transaction
from arena.core.enums import CompetitionStatus, UserRole
from arena.core.imageset import CONTENT_DIR, STYLE_DIR, Pair
from arena.core.datasets.staging import stage_dataset, stage_references
from arena.core.models import Competition, Evaluation, Submission
from arena.core.store import outputs as outputs_store
from arena.core.store.datasets import DatasetRef
from arena.services.accounts import create_user
from arena.services.publishing import publish
from datasets_helpers import make_dataset
from evaluator.attempt import AttemptOutcome, run_attempt
from evaluator.board_parts import restricted
from evaluator.context import WorkerContext
from evaluator.metrics import per_style_sets
from evaluator.metrics.fid import GaussianSummary, frechet_distance, summarize
from evaluator.metrics.io import read_pairs_csv
from evaluator.metrics.kid import kernel_inception_distance
from evaluator.metrics.per_style_sets import SetStatus, from_json, style_set_metrics, to_json
from evaluator.metrics.refcache import ReferenceStats
from evaluator.metrics.scores import ScorerInfo, ScoreState
from pipeline_fixtures import FakeRunner, upload
from scorerfixtures import seeded_scorer_id

D = 2048


def _state(n_out: dict[str, int], n_ref: dict[str, int], seed: int = 0) -> tuple[ScoreState, dict[str, np.ndarray]]:
    """A complete state with random features: style -> outputs, and its own reference rows."""
    rng = np.random.default_rng(seed)
    pairs, inception = [], {}
    for style, n in n_out.items():
        for i in range(n):
            pair = Pair(f"{style}-{i:03d}", f"c{i}.png", style)
            pairs.append(pair)
            inception[pair.pair_id] = rng.standard_normal(D) + (0.3 if style == "b" else 0.0)
    refs_of = {style: rng.standard_normal((n, D)) for style, n in n_ref.items()}
    names = [f"{style}-ref{k}" for style in n_ref for k in range(n_ref[style])]
    features = np.concatenate([refs_of[style] for style in n_ref])
    rows, start = {}, 0
    for style, n in n_ref.items():
        rows[style] = tuple(range(start, start + n))
        start += n
    ref = ReferenceStats(key="k", style_names=tuple(n_ref), style_inception=np.zeros((len(n_ref), D)),
                         fid=summarize(features), style_means=(), style_stds=(), content_names=(), content_sizes={},
                         content_targets={}, reference_names=tuple(names), reference_inception=features)
    state = ScoreState(pairs=tuple(pairs), reference=ref, scorer=ScorerInfo(False, {}, "cpu", True), content_dir=None,
                       reference_rows=rows, inception=inception, art_rows=(0,) * len(pairs),
                       art_inception=dict(inception), content_distance={p.pair_id: 0.0 for p in pairs},
                       per_pair={p.pair_id: {} for p in pairs})
    return state, refs_of


def _outputs(state: ScoreState, style: str) -> np.ndarray:
    return np.stack([state.inception[p.pair_id] for p in state.pairs if p.style == style])


def test_each_style_is_scored_against_its_own_references_where_it_has_enough():
    state, refs = _state({"a": 110, "b": 30, "c": 5}, {"a": 120, "b": 25, "c": 150})
    values = style_set_metrics(state)
    a, b, c = values["a"], values["b"], values["c"]
    assert (a.n_outputs, a.n_references, b.n_outputs, b.n_references) == (110, 120, 30, 25)
    expected_fid = frechet_distance(summarize(_outputs(state, "a")), summarize(refs["a"]))
    assert a.fid.status is SetStatus.OK and a.fid.value == pytest.approx(expected_fid, rel=1e-9)
    assert a.kid.value == pytest.approx(kernel_inception_distance(_outputs(state, "a"), refs["a"]).mean, rel=1e-9)
    # Not the board-wide FID: the other styles' references are not part of a style's FID.
    assert a.fid.value != pytest.approx(frechet_distance(summarize(_outputs(state, "a")), state.reference.fid))
    # b: enough for KID (unbiased at small n), not for FID.
    assert b.fid == per_style_sets.SetValue(None, SetStatus.FEW_REFERENCES)
    assert b.kid.value == pytest.approx(kernel_inception_distance(_outputs(state, "b"), refs["b"]).mean, rel=1e-9)
    # c: plenty of references, too few outputs.
    assert c.fid.status is SetStatus.FEW_OUTPUTS and c.kid.status is SetStatus.FEW_OUTPUTS
    assert c.fid.value is None and c.kid.value is None
    # The provenance form round-trips, thresholds and versions beside the values.
    data = to_json(values)
    assert data["thresholds"] == {"fid": 100, "kid": 20}
    assert from_json(data) == values
    assert from_json(None) is None and from_json({"format": "other"}) is None


def test_a_restricted_state_is_scored_on_its_own_pairs_only():
    state, refs = _state({"a": 12, "b": 12}, {"a": 8, "b": 8}, seed=3)
    public = frozenset(p.pair_id for p in state.pairs if int(p.pair_id[-3:]) % 2 == 0)
    part = style_set_metrics(restricted(state, public), fid_min=4, kid_min=4)
    chosen = np.stack([state.inception[i] for i in sorted(public) if i.startswith("a")])
    assert part["a"].n_outputs == 6
    assert part["a"].fid.value == pytest.approx(frechet_distance(summarize(chosen), summarize(refs["a"])), rel=1e-9)
    assert part["a"].fid.value != style_set_metrics(state, fid_min=4, kid_min=4)["a"].fid.value


def test_a_degenerate_style_has_no_fid_instead_of_failing_the_score(monkeypatch):
    state, _ = _state({"a": 4, "b": 4}, {"a": 4, "b": 4})

    def refuse(a: GaussianSummary, b: GaussianSummary) -> float:
        raise per_style_sets.FrechetDistanceError(None, "degenerate")

    monkeypatch.setattr(per_style_sets, "frechet_distance", refuse)
    values = style_set_metrics(state, fid_min=3, kid_min=3)
    assert values["a"].fid == per_style_sets.SetValue(None, SetStatus.NUMERICS)
    assert values["a"].kid.status is SetStatus.OK


def test_a_split_version_stores_per_style_sets_of_the_public_pairs_only(eval_settings, session_factory, tmp_path,
                                                                        generator, metric_suite, monkeypatch):
    # Tiny sets: the thresholds are lowered so that these styles reach them.
    monkeypatch.setattr(per_style_sets, "FID_MIN_IMAGES", 3)
    monkeypatch.setattr(per_style_sets, "KID_MIN_IMAGES", 3)
    with transaction(session_factory) as session:
        user = create_user(session, "styler", "correct horse battery", role=UserRole.PARTICIPANT)
        source = make_dataset(tmp_path / "hidden", name="per-style-sets", split="hidden", n_content=8, n_style=2,
                              seed=5, references_per_style=4)
        hidden = publish(session, eval_settings, source, reference_stats=None, board_fraction=0.5).version
        competition = Competition(slug="sets", title="sets", status=CompetitionStatus.OPEN, daily_quota=50,
                                  hidden_dataset_id=hidden.id, scorer_version=seeded_scorer_id())
        session.add(competition)
        session.flush()
        world = type("W", (), {"user_id": user.id, "competition_id": competition.id})
    submission_id = upload(eval_settings, session_factory, world, generator)
    with session_factory() as session:
        evaluation_id = session.get(Submission, submission_id).evaluations[0].id
    context = WorkerContext(settings=eval_settings, runner=FakeRunner(), scorer=metric_suite, worker_name="t")
    assert run_attempt(context, evaluation_id) is AttemptOutcome.SCORED

    with session_factory() as session:
        evaluation = session.get(Evaluation, evaluation_id)
        ref = DatasetRef.of(evaluation.dataset_version)
        staged = stage_dataset(eval_settings, ref, tmp_path / "staged")
        references = stage_references(eval_settings, ref, tmp_path / "refs")
        provenance, per_pair, outputs_sha = evaluation.provenance, evaluation.per_pair, evaluation.outputs_sha256
    stored = from_json(provenance["per_style_sets"])
    assert provenance["per_style_sets"]["thresholds"] == {"fid": 3, "kid": 3}
    public_ids = set(per_pair)
    pairs = read_pairs_csv(staged / "pairs.csv")
    assert len(public_ids) == 8 < len(pairs)
    # Independently: the whole version's features, then each style's public outputs and its references by name.
    state = metric_suite.collect(pairs, outputs_store.load_outputs(eval_settings, outputs_sha), staged / CONTENT_DIR,
                                 staged / STYLE_DIR, references=references)
    row_of = {name: row for row, name in enumerate(state.reference.reference_names)}
    for style in ("s0.png", "s1.png"):
        mine = [p.pair_id for p in pairs if p.style == style and p.pair_id in public_ids]
        outs = np.stack([state.inception[i] for i in mine])
        refs = state.reference.reference_inception[[row_of[path.name] for path in references[style]]]
        assert (stored[style].n_outputs, stored[style].n_references) == (len(mine), 4)
        assert stored[style].fid.value == pytest.approx(frechet_distance(summarize(outs), summarize(refs)), rel=1e-6)
        assert stored[style].kid.value == pytest.approx(kernel_inception_distance(outs, refs).mean, rel=1e-6, abs=1e-12)
