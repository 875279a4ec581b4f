"""Running a try-it request: the visitor's two images through an opted-in model, in the sandbox.

The job gets the request id from the ``tryit`` queue (workers take the scoring queue first,
``evaluator.worker``). Its image set is built here from the two stored PNGs and nothing else:
``content/photo.png``, ``style/style.png`` and a one-line ``pairs.csv``, in a fresh scratch
folder, so no dataset (hidden or public) is ever mounted. The run uses the same hardened
``SandboxRunner`` as scoring, with the smoke run's limits cut to ``TIMEOUT_S``; its output is
hostile bytes and is decoded and re-encoded (``tryit_images.clean_image``) before it is stored.
"""
from __future__ import annotations

import logging
import tempfile
from datetime import timedelta
from pathlib import Path
from typing import Protocol

import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from arena.core.db import make_engine, make_session_factory, transaction
from arena.core.enums import SubmissionStatus
from arena.core.imageset import CONTENT_DIR, STYLE_DIR, Pair, write_pairs
from arena.core.limits import SandboxLimits
from arena.core.models import Submission, TryItRequest, TryItStatus, utcnow
from arena.core.settings import Settings
from arena.core.store.uploads import upload_path
from evaluator.runtime import runner_for
from evaluator.tryit_images import ImageRefused, clean_image
from evaluator.tryit_store import store_png, tryit_path

log = logging.getLogger(__name__)

QUEUE_SUFFIX = "-tryit"
JOB_FUNCTION = "evaluator.tryit_job.run_tryit"
# One small pair: a model that needs longer than this is not one to show visitors.
TIMEOUT_S = 60
JOB_TIMEOUT_S = TIMEOUT_S + 60  # room for the container's start and removal
PAIR = Pair("tryit", "photo.png", "style.png")
LABEL_TRYIT = "stylearena.tryit"


class Runner(Protocol):
    def run(self, submission_path: Path, submission_format, inputs_dir: Path, output_dir: Path,
            limits: SandboxLimits, labels: dict[str, str], abort=None): ...


def tryit_queue(settings: Settings) -> str:
    """The try-it queue's name: beside the scoring queue's, so deployments and tests stay apart."""
    return f"{settings.queue_name}{QUEUE_SUFFIX}"


def tryit_limits(settings: Settings) -> SandboxLimits:
    """The smoke run's limits with the wall clock cut to ``TIMEOUT_S``."""
    base = settings.sandbox.run_limits(smoke=True)
    return base.tightened(timeout_s=min(base.timeout_s, TIMEOUT_S))


def build_inputs(settings: Settings, request: TryItRequest, dest: Path) -> Path:
    """The run's image set in ``dest``: the visitor's two images and the pairs file, nothing else."""
    (dest / CONTENT_DIR).mkdir(parents=True)
    (dest / STYLE_DIR).mkdir()
    (dest / CONTENT_DIR / PAIR.content).write_bytes(tryit_path(settings, request.content_sha256).read_bytes())
    (dest / STYLE_DIR / PAIR.style).write_bytes(tryit_path(settings, request.style_sha256).read_bytes())
    write_pairs(dest, [PAIR])
    return dest


def tryable(submission: Submission) -> bool:
    """Whether visitors may run this submission now (the rule the web's model list applies too)."""
    return (submission.allow_try_it and submission.status is SubmissionStatus.SCORED
            and not submission.competition.try_it_disabled and not submission.disqualified_reason)


def run_request(settings: Settings, factory: sessionmaker[Session], request_id: int, runner: Runner) -> TryItStatus:
    """Run one queued request to its end (done or failed); returns the final status."""
    with transaction(factory) as session:
        request = session.get(TryItRequest, request_id)
        if request is None or request.status is not TryItStatus.QUEUED:
            return request.status if request is not None else TryItStatus.FAILED
        request.status, request.started_at = TryItStatus.RUNNING, utcnow()
        submission = request.submission
        allowed = tryable(submission)
        sub_path, sub_format, sub_id = upload_path(settings, submission.sha256), submission.format, submission.id
        recipe = submission.competition.runtime_image or "base"
    if not allowed:
        return _finish(factory, request_id, error="This model is no longer offered to visitors; pick another.")
    try:
        with tempfile.TemporaryDirectory(prefix="tryit-") as scratch:
            with transaction(factory) as session:
                inputs = build_inputs(settings, session.get(TryItRequest, request_id), Path(scratch) / "inputs")
            out = Path(scratch) / "out"
            runner, _ = runner_for(runner, settings, recipe)  # the competition's runtime image
            runner.run(sub_path, sub_format, inputs, out, tryit_limits(settings),
                       {LABEL_TRYIT: str(request_id), "stylearena.submission": str(sub_id)})
            result = _read_result(out, inputs)
        sha256 = store_png(settings, result)
    except ImageRefused as exc:
        return _finish(factory, request_id, error=f"The model's output was not a valid picture: {exc.message}")
    except Exception as exc:  # noqa: BLE001 - every failure ends the request with a message
        code = getattr(exc, "code", None) or type(exc).__name__
        log.info("try-it request %s failed: %s", request_id, exc)
        return _finish(factory, request_id, error=_visitor_message(code))
    return _finish(factory, request_id, result_sha256=sha256)


def _read_result(out: Path, inputs: Path) -> bytes:
    """The output PNG, decoded and re-encoded at the photo's size (hostile bytes)."""
    path = out / PAIR.output_name
    names = sorted(p.name for p in out.iterdir()) if out.is_dir() else []
    if names != [PAIR.output_name]:
        raise ImageRefused("missing_output", f"expected one picture, got {len(names)} files")
    from PIL import Image  # noqa: PLC0415

    with Image.open(inputs / CONTENT_DIR / PAIR.content) as photo:  # our own re-encoded PNG
        size = photo.size
    return clean_image(path.read_bytes(), "result", formats=frozenset({"PNG"}), max_side=None,
                       expect_size=size).png


def _visitor_message(code: str) -> str:
    # The visitor sees whose model it is, never its log: a category and what to do.
    if code == "timeout":
        return f"The model took longer than {TIMEOUT_S} s on your picture; try a smaller photo or another model."
    if code == "out_of_memory":
        return "The model ran out of memory on your picture; try a smaller photo or another model."
    if code in {"docker_unavailable", "image_missing", "docker_error", "storage_error", "harness_bad_inputs"}:
        return "The platform could not run the model just now; try again in a few minutes."
    return "The model failed on your picture; try another model."


def _finish(factory: sessionmaker[Session], request_id: int, error: str | None = None,
            result_sha256: str | None = None) -> TryItStatus:
    with transaction(factory) as session:
        request = session.get(TryItRequest, request_id)
        request.status = TryItStatus.FAILED if error else TryItStatus.DONE
        request.error, request.result_sha256, request.finished_at = error, result_sha256, utcnow()
        return request.status


def sweep_expired(settings: Settings, factory: sessionmaker[Session], now=None) -> int:
    """Delete expired requests and every stored image no live request names; returns rows deleted."""
    now = now or utcnow()
    with transaction(factory) as session:
        expired = session.scalars(sa.select(TryItRequest).where(TryItRequest.expires_at <= now)).all()
        candidates = {sha for r in expired for sha in (r.content_sha256, r.style_sha256, r.result_sha256) if sha}
        for request in expired:
            session.delete(request)
        session.flush()
        live = set()
        if candidates:
            for row in session.execute(sa.select(TryItRequest.content_sha256, TryItRequest.style_sha256,
                                                 TryItRequest.result_sha256)):
                live.update(row)
        for sha in candidates - live:
            tryit_path(settings, sha).unlink(missing_ok=True)
        # A crashed worker leaves a request running; past its job timeout it is failed, not shown as running.
        stale = now - timedelta(seconds=JOB_TIMEOUT_S * 2)
        session.execute(sa.update(TryItRequest).where(TryItRequest.status.in_([TryItStatus.RUNNING, TryItStatus.QUEUED]),
                                                      TryItRequest.created_at < stale)
                        .values(status=TryItStatus.FAILED, finished_at=now,
                                error="The run was lost (a worker restarted); please try again."))
        return len(expired)


def run_tryit(request_id: int) -> str:
    """RQ entry point: run one try-it request with the real sandbox; returns its final status.

    Uses the worker's preloaded context (its settings, runner and database); a process
    without one (an ad-hoc ``rq worker``) builds what it needs from the environment.
    """
    from evaluator.context import current_context  # noqa: PLC0415

    context = current_context()
    if context is not None:
        return run_request(context.settings, context.session_factory(), int(request_id), context.runner).value
    from sandbox.runner import SandboxRunner  # noqa: PLC0415 - Docker SDK only in the job

    settings = Settings.from_env()
    engine = make_engine(settings.database_url)
    try:
        runner = SandboxRunner(settings.docker_host, settings.sandbox.image)
        return run_request(settings, make_session_factory(engine), int(request_id), runner).value
    finally:
        engine.dispose()
