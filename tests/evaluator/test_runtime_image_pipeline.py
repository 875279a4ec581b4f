"""A competition's runtime image (issue 19): its submissions run there, and provenance names it."""
from __future__ import annotations

import pytest
from pipeline_fixtures import upload
from sandboxfixtures import sandbox_image  # noqa: F401  (fixture: the base image, built once)

from arena.core.db import transaction
from arena.core.enums import EvaluationStatus, SubmissionStatus
from arena.core.models import Competition, Submission
from arena.core.settings import Settings
from evaluator.attempt import AttemptOutcome, run_attempt
from evaluator.context import WorkerContext
from sandbox.examples import write_package
from sandbox.recipes import RECIPES, RuntimeRecipe

POSTGRES_ONLY = pytest.mark.parametrize("db_url", ["postgres"], indirect=True)

# A package whose generator needs torchvision (its functional transforms).
TORCHVISION_PACKAGE = '''\
import torch
import torchvision.transforms.functional as F


class Stylizer(torch.nn.Module):
    def forward(self, content, style):
        tint = F.resize(style, [1, 1], antialias=True)
        return (0.8 * F.hflip(content) + 0.2 * tint).clamp(0, 1)
'''


@pytest.fixture(scope="module")
def torchvision_built(docker_host: str, sandbox_image: str):
    """Build the torchvision recipe once (seconds: a COPY layer on the base image)."""
    from sandbox.runtime_images import build_runtime_image

    return build_runtime_image(Settings(docker_host=docker_host), "torchvision")


def _use(factory, competition_id: int, recipe: str) -> None:
    with transaction(factory) as session:
        session.get(Competition, competition_id).runtime_image = recipe


def _attempt(settings, factory, world, package, metric_suite, docker_host):
    from sandbox.runner import SandboxRunner

    submission_id = upload(settings, factory, world, package)
    with factory() as session:
        evaluation_id = session.get(Submission, submission_id).evaluations[0].id
    context = WorkerContext(settings=settings, runner=SandboxRunner(docker_host, settings.sandbox.image),
                            scorer=metric_suite, worker_name="test-worker")
    outcome = run_attempt(context, evaluation_id)
    with factory() as session:
        submission = session.get(Submission, submission_id)
        evaluation = submission.evaluations[0]
        return outcome, submission.status, submission.counts_against_quota, evaluation, submission.public_log


@pytest.mark.docker
@POSTGRES_ONLY
def test_a_torchvision_package_scores_in_its_recipe_and_fails_clearly_on_base(
        eval_settings, session_factory, world, metric_suite, docker_host, torchvision_built, tmp_path):
    package = write_package(tmp_path / "tv.zip", {"generator.py": TORCHVISION_PACKAGE})
    _use(session_factory, world.competition_id, "torchvision")
    outcome, status, _, evaluation, _ = _attempt(eval_settings, session_factory, world, package, metric_suite,
                                              docker_host)
    assert outcome is AttemptOutcome.SCORED and status is SubmissionStatus.SCORED, evaluation.error_message
    assert evaluation.provenance["runtime_image"] == {"recipe": "torchvision", "version": "1",
                                                      "image_id": torchvision_built.image_id}
    assert evaluation.provenance["sandbox_image_id"] == torchvision_built.image_id
    assert evaluation.per_pair["p0"]["lpips"] > 0  # the generator ran (flipped the image)

    _use(session_factory, world.competition_id, "base")
    outcome, status, charged, evaluation, log = _attempt(eval_settings, session_factory, world, package,
                                                         metric_suite, docker_host)
    # The participant's fault, on the public smoke run (so not charged), the import error in its log.
    assert outcome is AttemptOutcome.FAILED and status is SubmissionStatus.FAILED and charged is False
    assert evaluation.error_code == "load_failed" and evaluation.error_message.startswith("Public smoke run:")
    assert "No module named 'torchvision'" in log, (evaluation.error_message, log)


@pytest.mark.docker
@POSTGRES_ONLY
def test_a_recipe_not_built_on_the_worker_is_a_platform_fault_naming_the_build_command(
        eval_settings, session_factory, world, metric_suite, docker_host, sandbox_image, monkeypatch, tmp_path):
    from sandbox.examples import write_blend_package

    monkeypatch.setitem(RECIPES, "never-built", RuntimeRecipe("never-built", "1", "nothing"))
    _use(session_factory, world.competition_id, "never-built")
    settings = eval_settings.with_overrides(max_attempts=1)
    outcome, status, charged, evaluation, _ = _attempt(settings, session_factory, world,
                                                    write_blend_package(tmp_path / "b.zip"), metric_suite, docker_host)
    assert outcome is AttemptOutcome.FAILED and evaluation.status is EvaluationStatus.FAILED
    assert evaluation.error_code == "image_missing" and status is SubmissionStatus.FAILED
    assert charged is False and "does not count against your daily quota" in evaluation.error_message
    assert "`stylearena sandbox build-image --recipe never-built`" in evaluation.error_detail
