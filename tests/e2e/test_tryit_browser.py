"""Try it in a browser, on a real worker: upload a photo, pick a style and a model, get the picture.

A `stylearena worker` process takes the request from the try-it queue and runs the opted-in
model (the example blend package) in the Docker sandbox; the status page follows it by
itself and then shows content | style | result, each downloadable.
"""
from __future__ import annotations

import io
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from arena.core.enums import SubmissionFormat
from arena.core.files import sha256_file
from arena.core.models import TryItRequest, TryItStatus
from arena.core.settings import SandboxSettings
from arena.core.store.uploads import store_upload
from arena.services.publishing import publish
from e2e_helpers import shoot, start_private_redis, write_image_set
from sandbox.examples import write_blend_package
from webseed import add_scored, full_scores, make_competition, make_user, PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.docker, pytest.mark.slow]
SANDBOX = SandboxSettings(memory_mb=1024, cpus=1.0, pids_limit=128, timeout_s=120, smoke_timeout_s=120,
                          tmpfs_mb=64, output_mb=32, log_bytes=100_000)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def settings(settings, docker_host, tmp_path):
    """The e2e settings on a private Redis, the project's Docker Engine and small sandbox limits."""
    port = _free_port()
    proc = start_private_redis(tmp_path / "redis", port)
    yield settings.with_overrides(redis_url=f"redis://127.0.0.1:{port}/0", docker_host=docker_host, sandbox=SANDBOX)
    proc.kill()
    proc.wait(10)


@pytest.fixture
def world(settings, db_session, tmp_path):
    """A competition with a published public set, one opted-in scored model (a real package)."""
    public = publish(db_session, settings, write_image_set(tmp_path / "public", "try-public", "public", 2, seed=3),
                     reference_stats=None).version
    competition = make_competition(db_session, "trycup", title="Try-it cup", public_dataset=public)
    owner, visitor = make_user(db_session, "painter"), make_user(db_session, "visitor")
    package = write_blend_package(tmp_path / "blend.zip")
    sha = sha256_file(package)
    store_upload(settings, package, sha)
    model = add_scored(db_session, competition, owner, full_scores(21.5), 1, label="Blend v1", allow_try_it=True)
    model.sha256, model.format = sha, SubmissionFormat.PACKAGE
    add_scored(db_session, competition, owner, full_scores(30.0), 2, label="Not offered")
    db_session.commit()
    return {"model": model, "visitor": visitor}


@pytest.fixture
def worker(settings, sandbox_image, tmp_path):
    """A real `stylearena worker` process on this test's database, Redis and queues."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("STYLEARENA_")}
    env.update(settings.to_env(), PYTHONUNBUFFERED="1")
    log = (tmp_path / "worker.log").open("wb")
    proc = subprocess.Popen([str(Path(sys.executable).with_name("stylearena")), "worker", "--name", "tryit-worker"],
                            env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    yield tmp_path / "worker.log"
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)
    log.close()


def _photo(path: Path) -> Path:
    image = Image.new("RGB", (320, 240), (240, 200, 60))
    for x in range(0, 320, 40):
        image.paste((30, 90, 200), (x, 0, x + 20, 240))
    image.save(path, format="JPEG", quality=90)
    return path


def test_visitor_stylizes_a_photo_on_a_real_worker(page, live_server, world, worker, settings, session_factory,
                                                   artifacts_dir, tmp_path):
    page.goto(f"{live_server}/login")
    page.fill("#username", "visitor")
    page.fill("#password", PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(live_server + "/")
    page.goto(f"{live_server}/try")
    assert page.locator(".tryit-models li").count() == 1  # only the opted-in model
    assert "Blend v1" in page.locator(".tryit-models").inner_text()
    assert page.locator(".tryit-style").count() == 2  # the public split's styles
    page.set_input_files("#photo", str(_photo(tmp_path / "holiday.jpg")))
    page.locator(".tryit-style").nth(1).click()
    shoot(page, artifacts_dir, "tryit-form")
    page.click("#tryit-submit")
    page.wait_for_url("**/try/r/*")
    # The page follows the run by itself (polling) until the picture is there.
    try:
        page.wait_for_selector("figure[data-which=result] img", timeout=240_000)
    except Exception:
        print(Path(worker).read_text()[-4000:])
        raise
    assert "Your stylized photo" in page.locator("h1").inner_text()
    shoot(page, artifacts_dir, "tryit-result")
    with page.expect_download() as download:
        page.locator("figure[data-which=result] a[download]").click()
    result = Image.open(io.BytesIO(Path(download.value.path()).read_bytes()))
    assert result.format == "PNG" and result.size == (320, 240)
    r, g, b = result.getpixel((5, 5))
    assert (r, g, b) != (240, 200, 60)  # the model changed the picture (a blend towards the style)
    with session_factory() as session:
        request = session.query(TryItRequest).one()
        assert request.status is TryItStatus.DONE and request.submission_id == world["model"].id
