"""The whole participant journey in a browser, scored by a real worker and the Docker sandbox.

register → upload a real TorchScript file → queued → a `stylearena worker` process runs it in
the sandbox and scores it → the page updates by itself → the row is on the leaderboard.
"""
from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import time
import sys
from pathlib import Path

from scorerfixtures import seeded_scorer_id
import pytest

from arena.services.publishing import publish
from arena.core.enums import CompetitionStatus
from arena.core.models import Competition
from arena.core.settings import SandboxSettings
from e2e_helpers import shoot, start_private_redis, write_image_set
from webfixtures import torchscript_file  # noqa: F401  (fixture)

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
def competition(settings, db_session, tmp_path):
    """An open competition with a published 2-pair hidden set and a 1-pair public set."""
    hidden = publish(db_session, settings, write_image_set(tmp_path / "hidden", "e2e-hidden", "hidden", 2, seed=1),
                     reference_stats=None).version
    public = publish(db_session, settings, write_image_set(tmp_path / "public", "e2e-public", "public", 1, seed=2),
                     reference_stats=None).version
    comp = Competition(slug="live", title="Live scoring cup", status=CompetitionStatus.OPEN, daily_quota=5,
                       hidden_dataset_id=hidden.id, public_dataset_id=public.id, scorer_version=seeded_scorer_id(),
                       description="Scored for real by the worker.")
    db_session.add(comp)
    db_session.commit()
    return comp


@pytest.fixture
def worker(settings, sandbox_image, tmp_path):
    """A real `stylearena worker` process on this test's database, Redis and queue."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("STYLEARENA_")}
    env.update(settings.with_overrides(sandbox=SANDBOX).to_env(), PYTHONUNBUFFERED="1")
    log = (tmp_path / "worker.log").open("wb")
    proc = subprocess.Popen([str(Path(sys.executable).with_name("stylearena")), "worker", "--name", "e2e-worker",
                             "--queued-grace", "2"], env=env, stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True)
    yield tmp_path / "worker.log"
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)
    log.close()


def test_submission_is_scored_by_a_real_worker(page, live_server, competition, worker, torchscript_file,
                                               artifacts_dir):
    page.goto(live_server + "/register")
    page.fill("#username", "livepainter")
    page.fill("#password", "a-long-password")
    page.fill("#confirm", "a-long-password")
    page.get_by_role("button", name="Sign up").click()
    page.goto(f"{live_server}/competitions/live/submit")
    page.set_input_files("#generator", str(torchscript_file))
    page.fill("#label", "real run")
    page.get_by_role("button", name="Upload and queue").click()
    page.wait_for_url(re.compile(r"/me/submissions/\d+$"))
    assert page.locator("#status-badge .badge").inner_text().lower() in ("queued", "running")

    # The tracker moves by itself (polling): record the steps it shows until the page is final.
    seen: list[str] = []
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline and page.locator("#progress").count():
        step = page.locator("#progress").get_attribute("data-step")
        if step and (not seen or seen[-1] != step):
            seen.append(step)
            if step in ("smoke_run", "hidden_run"):
                shoot(page, artifacts_dir, f"submission-live-{step}")
        page.wait_for_timeout(300)
    order = ["queued", "starting", "smoke_run", "hidden_run", "scoring"]
    assert seen and all(s in order for s in seen), seen
    assert [order.index(s) for s in seen] == sorted(order.index(s) for s in seen), seen  # never backwards
    # No manual reload: the poller reloads the page once the status is final.
    try:
        page.wait_for_selector("#status-badge .badge[data-status='scored'], #status-badge .badge[data-status='failed']",
                               timeout=240_000)
    except Exception:
        raise AssertionError("not scored in time; worker log:\n" + worker.read_text()[-4000:]) from None
    status = page.locator("#status-badge .badge").get_attribute("data-status")
    assert status == "scored", page.locator("main").inner_text()[:2000] + "\n" + worker.read_text()[-3000:]
    assert page.locator(".score[data-metric='art_fid'] .score-value").inner_text() not in ("", "—")
    assert "uncalibrated" in page.locator("main").inner_text()  # seeded backbones on this machine
    shoot(page, artifacts_dir, "submission-scored")

    page.goto(f"{live_server}/competitions/live/leaderboard")
    assert page.locator("table.board tbody tr .who-name").all_inner_texts() == ["livepainter"]
    assert page.locator("table.board tbody tr .flag").count() == 1
