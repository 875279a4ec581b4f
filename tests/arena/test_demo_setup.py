"""The demo's setup steps that need no sandbox: publishing, accounts, worker environment, CLI."""
from __future__ import annotations

from click.testing import CliRunner
from sqlalchemy import func, select

from arena.cli import cli
from arena.demo.builder import MAIN_SLUG, DemoScale
from arena.demo.orchestrate import ORGANIZER, PARTICIPANT, publish_demo_data
from arena.core.enums import UserRole
from arena.core.models import DatasetVersion, User
from arena.services.accounts import authenticate
from arena.services.competitions import get_competition


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


def test_demo_command_help_and_bad_arguments():
    runner = CliRunner()
    assert "score the baselines" in runner.invoke(cli, ["demo", "--help"]).output
    bad = runner.invoke(cli, ["demo", "--port", "0"])
    assert bad.exit_code == 2 and "Invalid value for '--port'" in bad.output
