"""A try-it run in the real sandbox: only the visitor's two images go in; results expire and go.

The generator is a probe: from inside the container it lists ``/inputs`` and paints the
counts into its output (red = files under content/, green = under style/, blue = every
file), so the picture that comes back proves what the container saw, and the recording
runner shows what the host mounted.
"""
from __future__ import annotations

import io
from datetime import timedelta
from pathlib import Path

import pytest
from PIL import Image
from sandboxfixtures import sandbox_image  # noqa: F401  (fixture)
from webseed import make_competition, make_submission, make_user

from arena.core.enums import SubmissionFormat, SubmissionStatus
from arena.core.files import sha256_file
from arena.core.models import TryItRequest, TryItStatus, utcnow
from arena.core.store.uploads import store_upload
from arena.services.tryit.requests import create_request
from evaluator.dispatch import notice_queue
from evaluator.tryit_job import run_request, sweep_expired, tryit_queue
from evaluator.tryit_store import tryit_path
from evaluator.worker import make_worker
from sandbox.examples import write_package
from sandbox.runner import SandboxRunner

PROBE = '''
import os
import torch


class Stylizer(torch.nn.Module):
    def __init__(self):
        super().__init__()
        found = []
        for root, _dirs, files in os.walk("/inputs"):
            found += [os.path.relpath(os.path.join(root, f), "/inputs") for f in files]
        self.counts = [sum(f.startswith("content/") for f in found), sum(f.startswith("style/") for f in found),
                       len(found)]
        print("inputs:", sorted(found))

    def forward(self, content, style):
        out = torch.zeros_like(content)
        for channel, count in enumerate(self.counts):
            out[:, channel] = count / 255.0
        return out
'''


class RecordingRunner:
    """The real runner; also records the inputs folder's files as mounted."""

    def __init__(self, runner: SandboxRunner) -> None:
        self.runner, self.listings = runner, []

    def run(self, submission_path, submission_format, inputs_dir, output_dir, limits, labels, abort=None):
        self.listings.append(sorted(str(p.relative_to(inputs_dir)) for p in Path(inputs_dir).rglob("*") if p.is_file()))
        return self.runner.run(submission_path, submission_format, inputs_dir, output_dir, limits, labels, abort)


def _png(color, size=(40, 30)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, color).save(buf, format="JPEG")
    return buf.getvalue()


@pytest.mark.docker
def test_run_sees_only_the_two_images_and_results_are_swept(settings, session_factory, docker_host, sandbox_image,
                                                           tmp_path):
    package = write_package(tmp_path / "probe.zip", {"generator.py": PROBE})
    sha = sha256_file(package)
    store_upload(settings, package, sha)
    with session_factory() as session:
        visitor, owner = make_user(session, "visitor"), make_user(session, "owner")
        competition = make_competition(session, "tryrun")
        submission = make_submission(session, competition, owner, status=SubmissionStatus.SCORED, allow_try_it=True)
        submission.sha256, submission.format = sha, SubmissionFormat.PACKAGE
        request = create_request(session, settings, visitor, submission, _png((250, 10, 10)), _png((10, 10, 250)), "h")
        session.commit()
        request_id = request.id
    runner = RecordingRunner(SandboxRunner(docker_host, sandbox_image))

    assert run_request(settings, session_factory, request_id, runner) is TryItStatus.DONE

    assert runner.listings == [["content/photo.png", "pairs.csv", "style/style.png"]]
    with session_factory() as session:
        request = session.get(TryItRequest, request_id)
        assert request.error is None and request.finished_at is not None
        files = [tryit_path(settings, s) for s in (request.content_sha256, request.style_sha256, request.result_sha256)]
    assert all(f.is_file() for f in files)
    with Image.open(files[2]) as result:
        assert result.format == "PNG" and result.size == (40, 30)
        assert result.getpixel((5, 5)) == (1, 1, 3)  # inside: one content file, one style file, three in all

    # A day later the sweep deletes the row and every file it named.
    assert sweep_expired(settings, session_factory, now=utcnow() + timedelta(days=1, seconds=1)) == 1
    assert not any(f.exists() for f in files)
    with session_factory() as session:
        assert session.get(TryItRequest, request_id) is None


def test_opted_out_model_fails_without_running(settings, session_factory):
    with session_factory() as session:
        visitor, owner = make_user(session, "visitor"), make_user(session, "owner")
        competition = make_competition(session, "tryoff", try_it_disabled=True)
        submission = make_submission(session, competition, owner, status=SubmissionStatus.SCORED, allow_try_it=True)
        request = create_request(session, settings, visitor, submission, _png((1, 2, 3)), _png((4, 5, 6)), "h")
        session.commit()
        request_id = request.id

    class NeverRuns:
        def run(self, *args, **kwargs):
            raise AssertionError("an opted-out model must not run")

    assert run_request(settings, session_factory, request_id, NeverRuns()) is TryItStatus.FAILED
    with session_factory() as session:
        assert "no longer offered" in session.get(TryItRequest, request_id).error
    # Shared files survive while another live request names them, and go with the last one.
    assert sweep_expired(settings, session_factory) == 0


def test_workers_take_scoring_before_try_it(settings):
    worker = make_worker(settings, context=None)
    assert worker.queue_names() == [notice_queue(settings), settings.queue_name, tryit_queue(settings)]


CRASH = '''
import torch


class Stylizer(torch.nn.Module):
    def forward(self, content, style):
        raise RuntimeError("SECRET-LOG-LINE-7f3a")
'''


@pytest.mark.docker
def test_failing_model_ends_the_request_with_a_message_not_its_log(settings, session_factory, docker_host,
                                                                  sandbox_image, tmp_path):
    package = write_package(tmp_path / "crash.zip", {"generator.py": CRASH})
    sha = sha256_file(package)
    store_upload(settings, package, sha)
    with session_factory() as session:
        visitor, owner = make_user(session, "visitor"), make_user(session, "owner")
        submission = make_submission(session, make_competition(session, "trycrash"), owner,
                                     status=SubmissionStatus.SCORED, allow_try_it=True)
        submission.sha256, submission.format = sha, SubmissionFormat.PACKAGE
        request = create_request(session, settings, visitor, submission, _png((9, 9, 9)), _png((99, 9, 9)), "h")
        session.commit()
        request_id = request.id

    assert run_request(settings, session_factory, request_id, SandboxRunner(docker_host, sandbox_image)) \
        is TryItStatus.FAILED
    with session_factory() as session:
        request = session.get(TryItRequest, request_id)
        assert request.result_sha256 is None and "another model" in request.error
        assert "SECRET-LOG-LINE" not in request.error
