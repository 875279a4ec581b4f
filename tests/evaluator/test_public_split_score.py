"""The public-split score: recorded from the smoke run, shown beside the hidden one, and what
`stylearena check` prints for the same upload on the downloaded dev set (no Docker for the check).

The uploads are the repository-layout package and a torch.export .pt2, through the real
service, sandbox, pipeline and seeded scorer.
"""
from __future__ import annotations

import json
import re

import pytest
from click.testing import CliRunner
from datasets_helpers import make_dataset
from pipeline_fixtures import World, upload, write_image_set

from arena.cli import cli
from arena.core.datasets.download import public_download
from arena.core.db import transaction
from arena.core.enums import CompetitionStatus, EvaluationStatus, UserRole
from arena.core.models import Competition, DatasetVersion, Submission
from arena.services.accounts import create_user
from arena.services.publishing import publish
from arena.services.results import round_score
from evaluator.attempt import AttemptOutcome, run_attempt
from evaluator.context import WorkerContext
from evaluator.public_split import PROVENANCE_KEY
from sandbox.examples import write_export_generator, write_repo_layout_package
from scorerfixtures import seeded_scorer_id

REAL_WORKER = [pytest.mark.docker, pytest.mark.parametrize("db_url", ["postgres"], indirect=True)]


def real_worker(test):
    for mark in REAL_WORKER:
        test = mark(test)
    return test


def dev_set_world(settings, factory, tmp, references: bool = False) -> World:
    """A competition whose public dev set has three pairs (FID/KID need at least two outputs), or
    with ``references`` four pairs and two held-out references per style (format 2)."""
    with transaction(factory) as session:
        user = create_user(session, "checker", "correct horse battery", role=UserRole.PARTICIPANT)
        hidden = publish(session, settings, write_image_set(tmp / "hidden", "h", "hidden", 2, seed=1),
                         reference_stats=None).version
        public_dir = (make_dataset(tmp / "public", "p", "public", n_content=2, n_style=2, seed=2, references_per_style=2)
                      if references else write_image_set(tmp / "public", "p", "public", 3, seed=2))
        public = publish(session, settings, public_dir, reference_stats=None).version
        competition = Competition(slug="check", title="check", status=CompetitionStatus.OPEN, daily_quota=50,
                                  hidden_dataset_id=hidden.id, public_dataset_id=public.id,
                                  scorer_version=seeded_scorer_id())
        session.add(competition)
        session.flush()
        return World(user.id, competition.id, "check", hidden.id, public.id)


def scored(settings, factory, metric_suite, docker_host, world, path) -> Submission:
    from sandbox.runner import SandboxRunner

    submission_id = upload(settings, factory, world, path)
    context = WorkerContext(settings=settings, runner=SandboxRunner(docker_host, settings.sandbox.image),
                            scorer=metric_suite, worker_name="test-worker")
    with factory() as session:
        evaluation_id = session.get(Submission, submission_id).evaluations[0].id
    assert run_attempt(context, evaluation_id) is AttemptOutcome.SCORED
    with factory() as session:
        submission = session.get(Submission, submission_id)
        _ = submission.evaluations[0].scores, submission.competition
        return submission


def dev_set_zip(settings, factory, world):
    with factory() as session:
        return public_download(settings, session.get(DatasetVersion, world.public_id))


@real_worker
@pytest.mark.parametrize("kind", ["repo_layout", "pt2"])
def test_check_prints_the_platforms_public_split_numbers(eval_settings, session_factory, metric_suite, docker_host,
                                                         tmp_path, kind):
    # The .pt2 case's dev set has held-out references: staged by the worker, read from the download by the check.
    world = dev_set_world(eval_settings, session_factory, tmp_path / "sets", references=kind == "pt2")
    path = (write_repo_layout_package(tmp_path / "adain.zip") if kind == "repo_layout"
            else write_export_generator(tmp_path / "model.pt2"))
    submission = scored(eval_settings, session_factory, metric_suite, docker_host, world, path)
    evaluation = submission.evaluations[0]
    assert evaluation.status is EvaluationStatus.SCORED
    platform = evaluation.provenance[PROVENANCE_KEY]
    n_pairs = 4 if kind == "pt2" else 3
    assert platform["n"] == n_pairs and set(platform["metrics"]) == {s.metric for s in evaluation.scores}
    # Another split, other images: the public score is not a copy of the hidden one.
    hidden = {s.metric: s.value for s in evaluation.scores}
    assert platform["metrics"] != hidden

    # The participant's side: the dev-set download, the same upload, no Docker.
    runner = CliRunner()
    dev_set = str(dev_set_zip(eval_settings, session_factory, world))
    if kind == "pt2":
        result = runner.invoke(cli, ["check", str(path), "--dev-set", dev_set, "--json"], obj={"settings": eval_settings})
        assert result.exit_code == 0, result.output
        checked = json.loads(result.stdout)
        assert checked["public_scores"]["metrics"] == platform["metrics"]  # to the last digit
        assert checked["format"] == "export" and checked["report"]["pairs_written"] == n_pairs
        assert platform["reference_protocol"] != "conditioning-styles" and platform["n_references"] == 4
        assert checked["public_scores"] == platform  # references, protocol and counts too
        return
    # The human output: progress on stderr, every number exact and as the page rounds it.
    printed = runner.invoke(cli, ["check", str(path), "--dev-set", dev_set], obj={"settings": eval_settings})
    assert printed.exit_code == 0, printed.output
    assert "[check] 1/4 upload ok: package" in printed.stderr and "[check] 4/4" in printed.stderr
    assert "  | [stylearena] generator loaded" in printed.stderr  # the harness's own progress, streamed
    exact = [float(v) for v in re.findall(r"\(exact ([^)]+)\)", printed.stdout)]
    assert sorted(exact) == sorted(platform["metrics"].values())  # to the last digit
    for value in platform["metrics"].values():
        assert re.search(rf"\s{re.escape(format(round_score(value), 'g'))}\s", printed.stdout)
    assert_the_pages_show(eval_settings, submission, platform["metrics"])


def assert_the_pages_show(settings, submission, public: dict[str, float]) -> None:
    """The public page (and so the owner's, which includes the same section) shows these numbers."""
    from arena import create_app
    from arena.web.templating import format_metric

    page = create_app(settings).test_client().get(f"/submissions/{submission.id}").get_data(as_text=True)
    section = page[page.index('<div class="score-grid" data-split="public">'):]
    for metric, value in public.items():
        block = section[section.index(f'data-metric="{metric}"'):]
        assert re.search(r'<span class="score-value">([^<]*)</span>', block).group(1) == format_metric(value)


def test_check_explains_bad_input_clearly(tmp_path):
    runner = CliRunner()
    (tmp_path / "model.pt").write_bytes(b"not a zip")
    (tmp_path / "dev").mkdir()
    result = runner.invoke(cli, ["check", str(tmp_path / "model.pt"), "--dev-set", str(tmp_path / "dev")])
    assert result.exit_code != 0 and "upload refused [unsupported_format]" in result.output
    pt2 = write_export_generator(tmp_path / "model.pt2")
    result = runner.invoke(cli, ["check", str(pt2), "--dev-set", str(tmp_path / "dev")])
    assert result.exit_code != 0 and "has no pairs.csv" in result.output
