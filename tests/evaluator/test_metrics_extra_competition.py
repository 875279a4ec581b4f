"""Optional metrics per competition: chosen by the organizer, computed by a real attempt, ranked, flagged.

A competition without optional metrics scores exactly the catalog's metrics (the pipeline
tests); here one that chose some gets them as score rows with their versions, intervals from
the same bootstrap, weight-free rows calibrated under seeded backbones, and board columns.
"""
from __future__ import annotations

import json
import types

import pytest
from click.testing import CliRunner
from pipeline_fixtures import FakeRunner, upload

from arena import create_app
from arena.cli import cli
from arena.core.db import transaction
from arena.core.models import Competition, Score, Submission
from arena.services.competitions import CompetitionChanges, CompetitionError, configure_competition, get_competition
from arena.services.leaderboard import leaderboard_rows, metric_columns
from evaluator.attempt import AttemptOutcome, run_attempt
from evaluator.context import WorkerContext
from evaluator.metrics.catalog import METRICS
from evaluator.metrics.optional_catalog import (
    OPTIONAL_METRICS,
    WEIGHT_FREE,
    UnknownOptionalMetric,
    parse_optional_metrics,
)
from evaluator.pipeline import score_values
from evaluator.scorer import scorer_identity
from evaluator.statistics.board import rerank

CHOSEN = "cfsd, ssim,colour_hist,ms_ssim"


def test_parsing_keeps_catalog_order_and_names_the_valid_choices():
    assert parse_optional_metrics(CHOSEN) == ("ssim", "ms_ssim", "colour_hist", "cfsd")
    assert parse_optional_metrics("") == parse_optional_metrics(None) == parse_optional_metrics(" none ") == ()
    with pytest.raises(UnknownOptionalMetric) as bad:
        parse_optional_metrics("ssim,psnr,fid")
    message = str(bad.value)
    assert "'psnr'" in message and "fid is always computed" in message
    assert all(name in message for name in OPTIONAL_METRICS)


def test_weight_free_rows_are_calibrated_under_seeded_backbones():
    result = types.SimpleNamespace(metrics={"fid": 3.0, "ssim": 0.8, "gram_loss": 1.0},
                                   metric_versions={}, calibrated=False)
    flags = {v.metric: v.calibrated for v in score_values(result)}
    assert flags == {"fid": False, "ssim": True, "gram_loss": False}
    assert {"ssim", "ms_ssim", "colour_hist"} == WEIGHT_FREE


def test_choosing_optional_metrics_changes_no_scorer_id():
    versions = {name: info.version for name, info in METRICS.items()}
    with_optional = {**versions, **{name: info.version for name, info in OPTIONAL_METRICS.items()}}
    assert scorer_identity(versions, {"vgg19": "x"}, False).id == scorer_identity(with_optional, {"vgg19": "x"}, False).id


def test_cli_configure_metrics_validates_against_the_catalog(settings, db_session):
    runner = CliRunner()

    def run(*args):
        return runner.invoke(cli, list(args), obj={"settings": settings})

    assert run("competition", "create", "opt", "--title", "Optional").exit_code == 0
    out = run("competition", "configure", "opt", "--metrics", CHOSEN, "--json")
    assert out.exit_code == 0, out.output
    assert json.loads(out.stdout)["optional_metrics"] == ["ssim", "ms_ssim", "colour_hist", "cfsd"]
    bad = run("competition", "configure", "opt", "--metrics", "ssim,sharpness")
    assert bad.exit_code != 0 and "Traceback" not in bad.output
    assert "'sharpness'" in bad.output and "lpips_grey" in bad.output
    ranked = run("competition", "configure", "opt", "--ranking-metric", "gram_loss")
    assert ranked.exit_code != 0 and "--metrics ssim,ms_ssim,colour_hist,cfsd,gram_loss" in ranked.output
    db_session.expire_all()
    assert get_competition(db_session, "opt").optional_metrics == "ssim,ms_ssim,colour_hist,cfsd"
    assert run("competition", "configure", "opt", "--metrics", "none", "--ranking-metric", "lpips").exit_code == 0
    db_session.expire_all()
    assert get_competition(db_session, "opt").optional_metrics == ""


# One database is enough for the slow end-to-end case (the schema is tested on both by the CLI case).
@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_a_scored_attempt_computes_ranks_and_flags_the_chosen_metrics(eval_settings, session_factory, world,
                                                                      generator, metric_suite):
    with transaction(session_factory) as session:
        competition = session.get(Competition, world.competition_id)
        configure_competition(session, competition, CompetitionChanges(optional_metrics=CHOSEN, ranking_metric="ssim"))
    submission_id = upload(eval_settings, session_factory, world, generator)
    context = WorkerContext(settings=eval_settings, runner=FakeRunner(), scorer=metric_suite, worker_name="test-worker")
    with session_factory() as session:
        evaluation_id = session.get(Submission, submission_id).evaluations[0].id
    assert run_attempt(context, evaluation_id) is AttemptOutcome.SCORED

    with session_factory() as session:
        evaluation = session.get(Submission, submission_id).evaluations[0]
        scores = {s.metric: s for s in evaluation.scores}
        chosen = parse_optional_metrics(CHOSEN)
        assert set(scores) == set(METRICS) | set(chosen)
        for name in chosen:
            assert scores[name].definition_version == OPTIONAL_METRICS[name].version
            # Per-pair means: the bootstrap gives each one an interval around its value.
            assert scores[name].ci_low is not None and scores[name].ci_low <= scores[name].value <= scores[name].ci_high
            assert all(name in row for row in evaluation.per_pair.values())
        # Seeded backbones: the networks' rows are uncalibrated, the weight-free ones are not.
        assert {s.metric for s in scores.values() if s.calibrated} == {"ssim", "ms_ssim", "colour_hist"}
        # The fake runner's outputs are the content images: known answers for the content metrics.
        assert scores["ssim"].value == pytest.approx(1.0) and scores["ms_ssim"].value == pytest.approx(1.0, abs=1e-5)
        assert scores["cfsd"].value == pytest.approx(0.0, abs=1e-9) and scores["colour_hist"].value > 0.01
        # The scorer id of the worker is unchanged by the choice (optional versions live on the rows).
        assert evaluation.scorer_version == context.scorer_id
        assert set(evaluation.provenance["scorer_components"]["metric_versions"]) == set(METRICS)

        competition = session.get(Competition, world.competition_id)
        columns = [c.name for c in metric_columns(competition)]
        assert columns == list(METRICS) + list(chosen)
        [row] = leaderboard_rows(session, competition)  # ranked by the optional SSIM
        assert row.sort_value == pytest.approx(scores["ssim"].value)
        assert row.metrics["cfsd"] == pytest.approx(scores["cfsd"].value) and "ssim" in row.intervals
        assert rerank(session, competition.id).entries["ssim"] == 1
        session.commit()

    # The board marks the weight-free columns and says they keep their meaning under seeded weights.
    page = create_app(eval_settings).test_client().get(f"/competitions/{world.slug}/leaderboard").get_data(as_text=True)
    assert all(f'data-weight-free="{name}"' in page for name in ("ssim", "ms_ssim", "colour_hist"))
    assert 'data-weight-free="cfsd"' not in page and 'data-note="weight-free"' in page
    assert 'data-note="uncalibrated"' in page  # the entry's network-based rows are still seeded

    with session_factory() as session:
        competition = session.get(Competition, world.competition_id)
        scores = {s.metric: s for s in session.get(Submission, submission_id).evaluations[0].scores}
        # A row of another definition version is not ranked as this one.
        scores["ssim"].definition_version = "ssim-older-0"
        session.flush()
        assert leaderboard_rows(session, competition) == []
        session.rollback()


def test_an_optional_ranking_metric_must_be_computed(db_session):
    competition = Competition(slug="plain", title="Plain", ranking_metric="art_fid", scorer_version="x")
    db_session.add(competition)
    db_session.flush()
    with pytest.raises(CompetitionError, match="add it: --metrics lpips_grey"):
        configure_competition(db_session, competition, CompetitionChanges(ranking_metric="lpips_grey"))
    assert competition.ranking_metric == "art_fid" and competition.optional_metrics == ""
    with pytest.raises(CompetitionError, match="Unknown optional metric 'psnr'"):
        configure_competition(db_session, competition, CompetitionChanges(optional_metrics="psnr"))
    assert Score.__table__.c.definition_version.type.length >= max(len(i.version) for i in OPTIONAL_METRICS.values())
