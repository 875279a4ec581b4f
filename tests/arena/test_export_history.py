"""Organizer exports (issue 19): one boolean convention on the site and in the CLI, version
columns, the evaluation history across dataset versions and scorers, and per-pair results."""
from __future__ import annotations

import csv
import io
import json

import pytest
from click.testing import CliRunner
from datasets_helpers import make_dataset
from webfixtures import app, client  # noqa: F401  (fixtures)
from webseed import add_scored, full_scores, make_user

from arena.cli import cli
from arena.core.enums import EvaluationKind, EvaluationStatus
from arena.core.models import Evaluation, Score
from arena.services.competitions import create_competition
from arena.services.publishing import publish


@pytest.fixture
def invoke(settings):
    runner = CliRunner()

    def run(*args: str):
        result = runner.invoke(cli, list(args), obj={"settings": settings})
        assert result.exit_code == 0, result.output
        return result.stdout

    return run


@pytest.fixture
def rescored(db_session, settings, tmp_path):
    """Two entries scored on hidden v1 / scorer s1 (the board), one also rescored on v2 / s2."""
    comp = create_competition(db_session, "exp", "Exp", scorer_version="s1", status="open")
    v1 = publish(db_session, settings, make_dataset(tmp_path / "v1", name="v1", split="hidden", seed=1),
                 competition_slug="exp", reference_stats=None).version
    v2 = publish(db_session, settings, make_dataset(tmp_path / "v2", name="v2", split="hidden", seed=2),
                 reference_stats=None).version
    ann = add_scored(db_session, comp, make_user(db_session, "ann"), full_scores(20.0), 1, label="a")
    base = add_scored(db_session, comp, make_user(db_session, "org"), full_scores(30.0), 2, label="b",
                      is_baseline=True)
    ann.evaluations[0].per_pair = {"p00": {"lpips": 0.25, "style_loss": 1.5}, "p01": {"lpips": 0.75, "style_loss": 2.0}}
    again = Evaluation(submission=ann, dataset_version_id=v2.id, scorer_version="s2", kind=EvaluationKind.RESCORE,
                       status=EvaluationStatus.SCORED, provenance={})
    db_session.add(again)
    db_session.flush()
    db_session.add(Score(evaluation_id=again.id, metric="art_fid", value=12.345678, calibrated=True))
    db_session.commit()
    return {"v1": v1.manifest_sha256, "v2": v2.manifest_sha256, "ann": ann.id, "base": base.id}


def test_site_and_cli_csv_share_booleans_and_carry_versions(invoke, client, rescored):
    cli_rows = {int(r["submission_id"]): r for r in csv.DictReader(io.StringIO(invoke("export", "exp")))}
    site = client.get("/competitions/exp/leaderboard.csv").get_data(as_text=True)
    site_rows = {int(r["submission_id"]): r for r in csv.DictReader(io.StringIO(site))}
    for sub, flag in ((rescored["ann"], "0"), (rescored["base"], "1")):
        assert cli_rows[sub]["is_baseline"] == site_rows[sub]["baseline"] == flag
        assert cli_rows[sub]["calibrated"] == site_rows[sub]["calibrated"] == "1"
        assert cli_rows[sub]["dataset_version"] == site_rows[sub]["dataset_version"] == rescored["v1"]
        assert cli_rows[sub]["scorer_version"] == site_rows[sub]["scorer_version"] == "s1"
    assert not {"True", "False"} & {v for r in cli_rows.values() for v in r.values()}


def test_history_spans_dataset_versions_and_scorers(invoke, rescored):
    rows = list(csv.DictReader(io.StringIO(invoke("export", "exp", "--table", "history"))))
    ann = [r for r in rows if int(r["submission_id"]) == rescored["ann"]]
    assert [(r["dataset_version"], r["scorer_version"], r["kind"], r["counts_on_board"]) for r in ann] == [
        (rescored["v1"], "s1", "initial", "1"), (rescored["v2"], "s2", "rescore", "0")]
    assert ann[1]["art_fid"] == "12.35" and ann[0]["art_fid"] == "20.0" and ann[1]["dataset_name"] == "v2"
    doc = json.loads(invoke("export", "exp", "--table", "history", "--format", "json"))
    assert [r["counts_on_board"] for r in doc["rows"]] == [True, False, True]  # JSON keeps real booleans


def test_per_pair_results_name_the_images(invoke, rescored):
    rows = list(csv.DictReader(io.StringIO(invoke("export", "exp", "--table", "pairs"))))
    assert [(r["pair_id"], r["content"], r["style"], r["lpips"], r["style_loss"]) for r in rows] == [
        ("p00", "c0.png", "s0.png", "0.25", "1.5"), ("p01", "c0.png", "s1.png", "0.75", "2.0")]
    assert {r["dataset_version"] for r in rows} == {rescored["v1"]} and rows[0]["counts_on_board"] == "1"


def test_every_csv_guards_participant_text_against_formulas(invoke, client, db_session, rescored):
    """One guard (results.csv_text) for the site's CSV and each CLI table; the CLI CSV reads back."""
    from arena.services.results import results_from_csv

    sub = db_session.get(Evaluation, db_session.query(Evaluation.id).filter_by(
        submission_id=rescored["ann"]).order_by(Evaluation.id).first()[0]).submission
    sub.label = "=HYPERLINK(\"http://x\")"
    db_session.commit()
    site = {r["submission_id"]: r for r in csv.DictReader(io.StringIO(
        client.get("/competitions/exp/leaderboard.csv").get_data(as_text=True)))}
    exported = invoke("export", "exp")
    cli_rows = {r["submission_id"]: r for r in csv.DictReader(io.StringIO(exported))}
    key = str(rescored["ann"])
    assert site[key]["label"] == cli_rows[key]["label"] == "'=HYPERLINK(\"http://x\")"
    assert {r.submission_id: r.label for r in results_from_csv(exported)}[rescored["ann"]] == sub.label
    for table in ("history", "pairs"):
        text = invoke("export", "exp", "--table", table)
        labels = [r["label"] for r in csv.DictReader(io.StringIO(text)) if "label" in r and r["label"].lstrip("'")[:1] == "="]
        assert labels and all(label.startswith("'=") for label in labels), (table, text[:400])


def test_cli_csv_carries_the_competitions_optional_metrics(invoke, db_session, rescored):
    from arena.core.models import Competition
    from arena.services.results import results_from_csv

    comp = db_session.query(Competition).filter_by(slug="exp").one()
    comp.optional_metrics = "ssim"
    first = db_session.query(Evaluation).filter_by(submission_id=rescored["ann"]).order_by(Evaluation.id).first()
    db_session.add(Score(evaluation_id=first.id, metric="ssim", value=0.8125, calibrated=True))
    db_session.commit()
    rows = {r.submission_id: r for r in results_from_csv(invoke("export", "exp"))}
    assert rows[rescored["ann"]].metrics["ssim"] == 0.8125
    assert rows[rescored["base"]].metrics["ssim"] is None
