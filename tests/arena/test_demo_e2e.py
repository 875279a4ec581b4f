"""The demo board end to end: baselines uploaded, run in the sandbox, scored, in the expected order.

Runs the real pipeline (upload validation, RQ on the real Redis, the Docker sandbox, the
metrics on seeded backbones) on the few-pair demo set.
"""
from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select

from arena.db import make_engine, make_session_factory
from arena.demo.baselines import BaselineName
from arena.demo.builder import MAIN_SLUG, DemoScale
from arena.demo.orchestrate import prepare_demo
from arena.enums import EvaluationStatus, SubmissionStatus
from arena.models import Evaluation, Submission
from arena.settings import SandboxSettings, Settings

pytestmark = [pytest.mark.docker, pytest.mark.slow]


@pytest.fixture(scope="session")
def demo_baselines_dir(tmp_path_factory):
    """One baselines folder per test session: the trained net is built once."""
    return tmp_path_factory.mktemp("demo-baselines")


@pytest.fixture
def demo_settings(sqlite_url, services, docker_host, tmp_path) -> Settings:
    from sandbox.image import ensure_image

    # Its own queue: other suites share this Redis and run workers of their own.
    settings = Settings(database_url=sqlite_url, redis_url=services.redis_url, data_dir=tmp_path / "data",
                        docker_host=docker_host, sandbox=SandboxSettings(timeout_s=300, smoke_timeout_s=120),
                        queue_name=f"demo-e2e-{uuid.uuid4().hex[:8]}", testing=True)
    ensure_image(settings)
    return settings


def _board(settings: Settings, ids: dict[str, int]) -> dict[str, dict[str, float]]:
    engine = make_engine(settings.database_url)
    try:
        session = make_session_factory(engine)()
        board = {}
        for name, sid in ids.items():
            sub = session.get(Submission, sid)
            assert sub.status == SubmissionStatus.SCORED, (name, sub.status, sub.error_code, sub.error_message)
            evaluation = session.scalar(select(Evaluation).where(Evaluation.submission_id == sid,
                                                                 Evaluation.status == EvaluationStatus.SCORED))
            board[name] = {s.metric: s.value for s in evaluation.scores}
            assert all(not s.calibrated for s in evaluation.scores)  # seeded backbones
        session.close()
        return board
    finally:
        engine.dispose()


def test_baselines_order_as_expected_through_the_real_pipeline(demo_settings, demo_baselines_dir):
    state = prepare_demo(demo_settings, DemoScale.SMALL, log=lambda m: None, baselines_dir=demo_baselines_dir)
    assert state.competitions == (MAIN_SLUG,)
    board = _board(demo_settings, state.submissions[MAIN_SLUG])
    identity, copy, adain, net = (board[n.value] for n in (BaselineName.IDENTITY, BaselineName.STYLE_COPY,
                                                              BaselineName.PIXEL_ADAIN, BaselineName.TRAINED))
    summary = {name: {k: round(v, 4) for k, v in m.items()} for name, m in board.items()}
    # Identity: perfect content, poor FID. Style copy: no content at all.
    assert identity["lpips"] == min(m["lpips"] for m in board.values()) == pytest.approx(0.0, abs=1e-6), summary
    assert identity["content_loss"] == min(m["content_loss"] for m in board.values()), summary
    assert copy["lpips"] == max(m["lpips"] for m in board.values()), summary
    assert copy["content_loss"] == max(m["content_loss"] for m in board.values()), summary
    assert max(copy["style_loss"], net["style_loss"]) < min(identity["style_loss"], adain["style_loss"]), summary
    # The trained network sits between them on content, beats both on FID and wins the ranking.
    # (Shrinking the larger style images costs the style copy its fine texture, so on the
    # seeded backbones its FID is not reliably better than the identity's; see the README.)
    assert identity["lpips"] < net["lpips"] < copy["lpips"], summary
    assert identity["content_loss"] < net["content_loss"] < copy["content_loss"], summary
    assert net["fid"] < min(identity["fid"], copy["fid"], adain["fid"]), summary
    assert net["art_fid"] == min(m["art_fid"] for m in board.values()), summary

    # A second run reuses everything: no new versions, users or submissions.
    again = prepare_demo(demo_settings, DemoScale.SMALL, log=lambda m: None, baselines_dir=demo_baselines_dir)
    assert again.submissions == state.submissions
