"""The diversity metric (issue 13) against the ``lpips`` package on identical image pairs, without Docker.

Each pair's value is LPIPS between its output and its repeat-pass output (the harness's second
seed). The reference is the ``lpips`` package (net='alex', v0.1, its own linear layers) holding
the suite's seeded AlexNet trunk, reading the same PNG files itself. The sandbox side (seeding,
the repeat pass, hostile repeat outputs) is ``tests/sandbox/test_repeat_seeds.py``; a real
attempt is ``tests/evaluator/test_diversity_attempt.py``.
"""
from __future__ import annotations

import shutil

import numpy as np
import pytest
import torch
from PIL import Image

from evaluator.diversity import needs_repeat, seeding_provenance
from evaluator.metrics.errors import MetricComputationError
from evaluator.metrics.optional import add_optional_metrics
from evaluator.metrics.optional_catalog import (
    NEEDS_REPEAT_RUN,
    OPTIONAL_METRICS,
    OPTIONAL_PER_PAIR_METRICS,
    WEIGHT_FREE,
    OptionalMetric,
    parse_optional_metrics,
)
from evaluator.pipeline import score_values
from evaluator.statistics.replicates import bootstrap
from metrics_support import lpips_package, make_image_set, seeded_suite

DIVERSITY = OptionalMetric.DIVERSITY.value
IDENTICAL = "p0-0"  # the pair whose repeat output is a byte copy: a deterministic generator


def _load(path) -> torch.Tensor:
    array = np.asarray(Image.open(path).convert("RGB"), dtype=np.float32) / 255.0
    return torch.from_numpy(array).permute(2, 0, 1)[None]


@pytest.fixture(scope="module")
def scored(tmp_path_factory):
    """2 contents × 2 styles at 64 px; repeat outputs = outputs plus seeded noise of growing strength."""
    root = tmp_path_factory.mktemp("diversity")
    image_set = make_image_set(root, n_content=2, n_style=2)
    repeat_dir = root / "outputs-repeat"
    repeat_dir.mkdir()
    rng = np.random.default_rng(5)
    for index, pair in enumerate(image_set.pairs):
        source = image_set.outputs / f"{pair.pair_id}.png"
        if pair.pair_id == IDENTICAL:
            shutil.copyfile(source, repeat_dir / source.name)
            continue
        pixels = np.asarray(Image.open(source), dtype=np.float64)
        noisy = np.clip(pixels + rng.normal(0.0, 8.0 * index, pixels.shape), 0, 255).astype(np.uint8)
        Image.fromarray(noisy, "RGB").save(repeat_dir / source.name)
    suite = seeded_suite()
    state = suite.collect(image_set.pairs, image_set.outputs, image_set.content, image_set.style)
    result = add_optional_metrics(suite, state, suite.compute(state), [DIVERSITY], image_set.outputs,
                                  image_set.style, repeat_dir)
    return image_set, repeat_dir, suite, state, result



def test_catalog_entry_is_a_higher_is_better_per_pair_metric_that_needs_weights_and_a_repeat():
    info = OPTIONAL_METRICS[DIVERSITY]
    assert info.higher_is_better is True and info.label == "Diversity"
    assert info.version.startswith("lpips-alex-v0.1-") and info.version.endswith("-1")
    assert DIVERSITY in OPTIONAL_PER_PAIR_METRICS and DIVERSITY not in WEIGHT_FREE
    assert NEEDS_REPEAT_RUN == {DIVERSITY}
    assert parse_optional_metrics("ssim, diversity") == ("ssim", DIVERSITY)
    assert needs_repeat(("ssim", DIVERSITY)) and not needs_repeat(("ssim", "lpips_grey")) and not needs_repeat(())


def test_per_pair_diversity_agrees_with_the_lpips_package(scored):
    image_set, repeat_dir, suite, _, result = scored
    reference = lpips_package(suite)
    diffs = []
    with torch.no_grad():
        for pair in image_set.pairs:
            name = f"{pair.pair_id}.png"
            expected = float(reference(_load(image_set.outputs / name), _load(repeat_dir / name), normalize=True)
                             .reshape(()))
            got = result.per_pair[pair.pair_id][DIVERSITY]
            diffs.append(abs(got - expected))
            assert got == pytest.approx(expected, abs=1e-6)
    print(f"diversity vs lpips package: max abs diff {max(diffs):.3g} over {len(diffs)} pairs")
    values = [result.per_pair[p.pair_id][DIVERSITY] for p in image_set.pairs]
    # More noise, more distance; the mean is the metric.
    assert values[1] < values[2] < values[3]
    assert result.metrics[DIVERSITY] == pytest.approx(float(np.mean(values)))
    assert result.metric_versions[DIVERSITY] == OPTIONAL_METRICS[DIVERSITY].version


def test_identical_repeat_outputs_score_exactly_zero(scored):
    _, _, _, _, result = scored
    assert result.per_pair[IDENTICAL][DIVERSITY] == 0.0
    assert all(result.per_pair[p][DIVERSITY] > 0.01 for p in result.per_pair if p != IDENTICAL)


def test_diversity_gets_a_bootstrap_interval_and_an_uncalibrated_row(scored):
    _, _, _, state, result = scored
    replicates = bootstrap(state, sorted(result.metrics))
    [row] = [value for value in score_values(result, replicates) if value.metric == DIVERSITY]
    assert row.ci_low is not None and row.ci_low <= row.value <= row.ci_high and row.ci_low < row.ci_high
    # LPIPS uses network weights: under seeded backbones its row is not calibrated (unlike SSIM's).
    assert row.calibrated is False and row.definition_version == OPTIONAL_METRICS[DIVERSITY].version


def test_diversity_without_the_repeat_pass_is_refused(scored):
    image_set, _, suite, _, _ = scored
    state = suite.collect(image_set.pairs, image_set.outputs, image_set.content, image_set.style)
    with pytest.raises(MetricComputationError) as caught:
        add_optional_metrics(suite, state, suite.compute(state), [DIVERSITY], image_set.outputs, image_set.style)
    assert caught.value.code == "bad_state" and "repeat pass" in str(caught.value)


def test_seeding_provenance_names_the_rule_and_the_repeat_outputs():
    with_repeat = seeding_provenance("ab" * 32)
    assert with_repeat["run_seed"] == 0 and with_repeat["repeat_seed"] == 1 and with_repeat["repeat_pairs"] == "all"
    assert "sha256" in with_repeat["rule"] and "torch.manual_seed" in with_repeat["rule"]
    without = seeding_provenance(None)
    assert without["repeat_seed"] is None and without["repeat_outputs_sha256"] is None and without["rule"]


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_outputs_stored_without_a_repeat_pass_are_not_reused_once_diversity_is_chosen(
        eval_settings, session_factory, world, generator, metric_suite):
    from pipeline_fixtures import FakeRunner, upload

    from arena.core.db import transaction
    from arena.core.enums import EvaluationKind
    from arena.core.models import Competition, DatasetVersion, Submission
    from arena.services.competitions import CompetitionChanges, configure_competition
    from arena.services.evaluations import create_evaluation
    from evaluator.attempt import AttemptOutcome, run_attempt
    from evaluator.context import WorkerContext
    from evaluator.pipeline import load_task

    submission_id = upload(eval_settings, session_factory, world, generator)
    with session_factory() as session:
        first_id = session.get(Submission, submission_id).evaluations[0].id
    context = WorkerContext(settings=eval_settings, runner=FakeRunner(), scorer=metric_suite, worker_name="w")
    assert run_attempt(context, first_id) is AttemptOutcome.SCORED  # no diversity: no repeat pass stored
    from arena.services.rescore import plan_rescore

    def planned_reuses(scorer: str) -> int:
        with session_factory() as session:
            return plan_rescore(session, eval_settings, session.get(Competition, world.competition_id),
                                session.get(DatasetVersion, world.hidden_id), scorer).reuses

    assert planned_reuses("4") == 1  # the rescore plan says what the worker will do
    with transaction(session_factory) as session:
        submission = session.get(Submission, submission_id)
        ids = [create_evaluation(session, submission, session.get(DatasetVersion, world.hidden_id), scorer,
                                 EvaluationKind.RESCORE).id for scorer in ("2", "3")]
    assert load_task(session_factory, ids[0], eval_settings).reusable_outputs_sha256 is not None
    with transaction(session_factory) as session:
        configure_competition(session, session.get(Competition, world.competition_id),
                              CompetitionChanges(optional_metrics=DIVERSITY))
    task = load_task(session_factory, ids[1], eval_settings)
    # The generator must run again (with its repeat pass) rather than score diversity without one.
    assert task.optional_metrics == (DIVERSITY,)
    assert task.reusable_outputs_sha256 is None and task.reusable_repeat_sha256 is None
    assert planned_reuses("4") == 0  # and the plan counts it as a rerun, not a reuse
