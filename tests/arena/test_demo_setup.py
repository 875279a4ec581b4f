"""The demo's setup steps that need no sandbox: publishing, accounts, worker environment, CLI."""
from __future__ import annotations

from click.testing import CliRunner
from sqlalchemy import func, select

from arena.cli import cli
from arena.demo.builder import MAIN_SLUG, DemoScale
from arena.demo.orchestrate import ORGANIZER, PARTICIPANT, publish_demo_data, settings_environment
from arena.enums import UserRole
from arena.models import DatasetVersion, User
from arena.services.accounts import authenticate
from arena.services.competitions import get_competition
from arena.settings import SandboxSettings, Settings


def test_publish_demo_data_is_idempotent(settings, session_factory):
    logs: list[str] = []
    slugs = publish_demo_data(settings, session_factory, DemoScale.SMALL, log=logs.append, reference_stats=None)
    again = publish_demo_data(settings, session_factory, DemoScale.SMALL, log=logs.append, reference_stats=None)
    assert slugs == again == (MAIN_SLUG,)
    assert [line.split(":")[1].strip().split(" (")[0] for line in logs] == ["published"] * 2 + ["already published"] * 2
    with session_factory() as session:
        assert session.scalar(select(func.count(DatasetVersion.id))) == 2
        comp = get_competition(session, MAIN_SLUG)
        assert comp.public_dataset.split.value == "public" and comp.hidden_dataset.split.value == "hidden"
        assert authenticate(session, ORGANIZER.username, ORGANIZER.password).role == UserRole.ORGANIZER
        assert authenticate(session, PARTICIPANT.username, PARTICIPANT.password) is not None
        assert session.scalar(select(func.count(User.id))) == 2


def test_worker_environment_rebuilds_the_same_settings(tmp_path):
    settings = Settings(database_url="sqlite:////tmp/x.sqlite3", redis_url="redis://127.0.0.1:1/2",
                        data_dir=tmp_path, weights_dir=tmp_path / "w", queue_name="q-demo",
                        retry_backoff_s=0.25, proxy_hops=2, secure_cookies=True,
                        sandbox=SandboxSettings(image="img:1", timeout_s=33, memory_mb=1000, use_gpu=True))
    env = {k[len("STYLEARENA_"):]: v for k, v in settings_environment(settings).items()}
    rebuilt = Settings.from_env({f"STYLEARENA_{k}": v for k, v in env.items()})
    assert rebuilt == settings.with_overrides(testing=False)


def test_demo_command_help_and_bad_arguments():
    runner = CliRunner()
    assert "score the baselines" in runner.invoke(cli, ["demo", "--help"]).output
    bad = runner.invoke(cli, ["demo", "--port", "0"])
    assert bad.exit_code == 2 and "Invalid value for '--port'" in bad.output
