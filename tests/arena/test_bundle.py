"""Competition bundles (issue 19): apply creates or updates declaratively, is idempotent, has a
dry run, and a bundle on an empty platform equals the same competition made by hand."""
from __future__ import annotations

import shutil
from dataclasses import replace

import pytest
import yaml
from click.testing import CliRunner
from datasets_helpers import make_dataset

from arena.cli import cli
from arena.services.competitions import get_competition
from arena.services.leaderboard import leaderboard_rows


def _runner(settings):
    runner = CliRunner()

    def run(*args: str, ok: bool = True):
        result = runner.invoke(cli, list(args), obj={"settings": settings})
        assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
        assert "Traceback" not in result.output
        assert (result.exit_code == 0) == ok, result.output
        return result

    return run


@pytest.fixture
def invoke(settings):
    return _runner(settings)


@pytest.fixture
def bundle(tmp_path):
    """A bundle folder: the YAML, a description and two dataset folders."""
    root = tmp_path / "bundle"
    make_dataset(root / "public", name="paint-public", seed=1)
    make_dataset(root / "hidden", name="paint-hidden", split="hidden", seed=2, references_per_style=1)
    (root / "description.md").write_text("Paint **everything**.\n", encoding="utf-8")
    doc = {"slug": "paint", "title": "Paint it", "description_file": "description.md", "status": "open",
           "starts": "2027-01-01T09:00:00+01:00", "ends": "2027-02-01T00:00:00Z", "ranking_metric": "lpips",
           "daily_quota": 3, "scorer_version": "installed",
           "datasets": {"public": {"folder": "public"}, "hidden": {"folder": "hidden"}}}
    (root / "bundle.yaml").write_text(yaml.safe_dump(doc), encoding="utf-8")
    return root


def test_apply_is_idempotent_and_equals_a_competition_made_by_hand(invoke, settings, bundle, sqlite_template,
                                                                    tmp_path):
    out = invoke("competition", "apply", str(bundle / "bundle.yaml"), "--no-reference-stats").stdout
    assert out.startswith("created competition 'paint':") and "ranking_metric: - -> lpips" in out
    again = invoke("competition", "apply", str(bundle / "bundle.yaml"), "--no-reference-stats").stdout
    assert again.strip() == "no change: competition 'paint' already matches bundle.yaml"

    # The same competition by hand, with the CLI, on another empty platform.
    other_db = tmp_path / "other.sqlite3"
    shutil.copyfile(sqlite_template, other_db)
    other = replace(settings, database_url=f"sqlite:///{other_db}", data_dir=tmp_path / "other-data")
    by_hand = _runner(other)
    by_hand("competition", "create", "paint", "--title", "Paint it", "--description-file",
            str(bundle / "description.md"), "--status", "open", "--starts", "2027-01-01T08:00:00",
            "--ends", "2027-02-01T00:00:00", "--ranking-metric", "lpips", "--daily-quota", "3")
    by_hand("dataset", "publish", str(bundle / "public"), "--competition", "paint", "--no-reference-stats")
    by_hand("dataset", "publish", str(bundle / "hidden"), "--competition", "paint", "--no-reference-stats")

    invoke("competition", "export-bundle", "paint", "-o", str(tmp_path / "from-bundle"))
    by_hand("competition", "export-bundle", "paint", "-o", str(tmp_path / "from-hand"))
    exported = (tmp_path / "from-bundle" / "bundle.yaml").read_text()
    assert exported == (tmp_path / "from-hand" / "bundle.yaml").read_text()
    assert (tmp_path / "from-bundle" / "description.md").read_text() == "Paint **everything**.\n"
    doc = yaml.safe_load(exported)
    assert doc["starts"] == "2027-01-01T08:00:00+00:00" and doc["daily_quota"] == 3
    assert set(doc["datasets"]) == {"public", "hidden"}
    # The exported bundle applies back as a no-op (datasets by version).
    shutil.copyfile(tmp_path / "from-bundle" / "description.md", tmp_path / "description.md")
    out = invoke("competition", "apply", str(tmp_path / "from-bundle" / "bundle.yaml")).stdout
    assert out.startswith("no change")


def test_dry_run_prints_the_difference_and_changes_nothing(invoke, settings, bundle, db_session):
    invoke("competition", "apply", str(bundle / "bundle.yaml"), "--no-reference-stats")
    doc = yaml.safe_load((bundle / "bundle.yaml").read_text())
    doc.update(title="Paint it again", daily_quota=7)
    (bundle / "bundle.yaml").write_text(yaml.safe_dump(doc))
    out = invoke("competition", "apply", str(bundle / "bundle.yaml"), "--dry-run").stdout
    assert "would update competition 'paint':" in out
    assert "  title: Paint it -> Paint it again" in out and "  daily_quota: 3 -> 7" in out
    assert "hidden_dataset" not in out
    comp = get_competition(db_session, "paint")
    assert (comp.title, comp.daily_quota) == ("Paint it", 3)
    invoke("competition", "apply", str(bundle / "bundle.yaml"))
    db_session.expire_all()
    assert get_competition(db_session, "paint").daily_quota == 7


def test_a_new_hidden_folder_on_a_live_board_is_staged(invoke, settings, bundle, db_session):
    from webseed import add_scored, full_scores, make_user

    invoke("competition", "apply", str(bundle / "bundle.yaml"), "--no-reference-stats")
    comp = get_competition(db_session, "paint")
    add_scored(db_session, comp, make_user(db_session, "ann"), full_scores(10.0), 1)
    db_session.commit()
    shown = comp.hidden_dataset_id
    shutil.rmtree(bundle / "hidden")
    make_dataset(bundle / "hidden", name="paint-hidden-2", split="hidden", seed=5, references_per_style=1)
    out = invoke("competition", "apply", str(bundle / "bundle.yaml"), "--no-reference-stats").stdout
    assert "a dataset version is staged (the board is unchanged)" in out
    assert "stylearena rescore paint --dataset-version" in out
    db_session.expire_all()
    comp = get_competition(db_session, "paint")
    assert comp.hidden_dataset_id == shown and comp.staged_hidden_dataset.name == "paint-hidden-2"
    assert len(leaderboard_rows(db_session, comp)) == 1
    assert invoke("competition", "apply", str(bundle / "bundle.yaml"), "--no-reference-stats").stdout \
        .startswith("no change")


@pytest.mark.parametrize("content, message", [
    ("slug: x\ntitle: t\ncolour: red\n", "unknown key 'colour'"),
    ("title: t\n", "'slug' is required"),
    ("slug: x\ntitle: t\nstarts: soon\n", "Cannot read the date 'soon'"),
    ("slug: x\ntitle: t\ntimezone: Mars/Olympus\n", "Unknown time zone 'Mars/Olympus'"),
    ("slug: x\ntitle: t\noptional_metrics: [fid]\n", "always computed"),
    ("slug: x\ntitle: t\ndatasets: {private: {folder: a}}\n", "unknown split 'private'"),
    ("slug: [unclosed\n", "not valid YAML"),
])
def test_bad_bundles_are_refused_naming_the_key(invoke, tmp_path, content, message):
    path = tmp_path / "b.yaml"
    path.write_text(content)
    assert message in invoke("competition", "apply", str(path), ok=False).output


def test_time_zone_bare_dates_and_optional_metrics(invoke, settings, bundle, db_session, tmp_path):
    from evaluator.metrics.optional_catalog import OPTIONAL_METRICS

    chosen = list(OPTIONAL_METRICS)[:1]
    doc = yaml.safe_load((bundle / "bundle.yaml").read_text())
    doc.update(timezone="Europe/Paris", starts="2027-01-01T09:00", ends="2027-01-31", optional_metrics=chosen)
    (bundle / "bundle.yaml").write_text(yaml.safe_dump(doc))
    invoke("competition", "apply", str(bundle / "bundle.yaml"), "--no-reference-stats")
    comp = get_competition(db_session, "paint")
    assert comp.timezone == "Europe/Paris" and comp.optional_metrics == chosen[0]
    assert comp.starts_at.isoformat() == "2027-01-01T08:00:00+00:00"  # 09:00 in Paris
    assert comp.ends_at.isoformat().startswith("2027-01-31T22:59:59")  # the end of the 31st in Paris
    invoke("competition", "export-bundle", "paint", "-o", str(tmp_path / "out"))
    exported = yaml.safe_load((tmp_path / "out" / "bundle.yaml").read_text())
    assert exported["timezone"] == "Europe/Paris" and exported["optional_metrics"] == chosen
    assert invoke("competition", "apply", str(tmp_path / "out" / "bundle.yaml")).stdout.startswith("no change")
