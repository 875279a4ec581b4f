"""Per-competition sandbox limits (issue 19): set by a bundle within the platform's caps,
applied to the runs of the competition's evaluations, and recorded in provenance."""
from __future__ import annotations

import threading
from dataclasses import replace
from datetime import datetime, timezone
from types import SimpleNamespace

import pytest
import yaml
from click.testing import CliRunner
from datasets_helpers import make_dataset
from PIL import Image
from webseed import make_submission, make_user

from arena.cli import cli
from arena.core.competition_limits import LimitsRefused, check_competition_limits, run_limits_for
from arena.core.datasets.staging import stage_dataset
from arena.core.enums import DatasetSplit
from arena.core.files import write_atomic
from arena.core.models import Evaluation
from arena.core.settings import SandboxSettings
from arena.core.store.uploads import upload_path
from arena.services.audit import entries as audit_entries
from arena.services.competitions import get_competition
from arena.services.publishing import publish
from evaluator.claim import Claim
from evaluator.pipeline import load_task, provenance, run_generator
from sandbox.runner import RunResult

CAPS = SandboxSettings(timeout_s=600, memory_mb=4096, smoke_timeout_s=120)


def test_limits_tighten_within_the_caps_and_refuse_beyond():
    assert run_limits_for(CAPS, None, None) == CAPS.run_limits()
    hidden = run_limits_for(CAPS, 300, 1024)
    assert (hidden.timeout_s, hidden.memory_mb, hidden.cpus) == (300, 1024, CAPS.cpus)
    assert run_limits_for(CAPS, 300, None, smoke=True).timeout_s == 120  # the smoke cap is smaller still
    lowered = replace(CAPS, timeout_s=200)  # a cap lowered after the competition chose 300 still wins
    assert run_limits_for(lowered, 300, None).timeout_s == 200
    with pytest.raises(LimitsRefused, match="outside 1-600 s"):
        check_competition_limits(CAPS, 601, None)
    with pytest.raises(LimitsRefused, match="outside 64-4096 MB"):
        check_competition_limits(CAPS, None, 8192)


def _bundle(root, **extra):
    make_dataset(root / "hidden", name="lim-hidden", split="hidden", seed=2)
    doc = {"slug": "lim", "title": "Limits", "status": "open", "scorer_version": "s1",
           "datasets": {"hidden": {"folder": "hidden"}}, **extra}
    (root / "bundle.yaml").write_text(yaml.safe_dump(doc))
    return root / "bundle.yaml"


def test_a_bundle_sets_limits_and_refuses_more_than_the_caps(settings, db_session, tmp_path):
    runner = CliRunner()
    too_much = _bundle(tmp_path / "a", sandbox={"timeout_s": settings.sandbox.timeout_s + 1})
    out = runner.invoke(cli, ["competition", "apply", str(too_much)], obj={"settings": settings})
    assert out.exit_code == 1 and "the platform's cap" in out.output
    path = _bundle(tmp_path / "b", sandbox={"timeout_s": 30, "memory_mb": 512})
    out = runner.invoke(cli, ["competition", "apply", str(path), "--no-reference-stats"], obj={"settings": settings})
    assert out.exit_code == 0 and "sandbox_timeout_s: - -> 30" in out.output
    comp = get_competition(db_session, "lim")
    assert (comp.sandbox_timeout_s, comp.sandbox_memory_mb) == (30, 512)
    # The change is in the audit log like the CLI's configure, old and new values.
    logged = [e.details for e in audit_entries(db_session, comp) if e.action == "configure"]
    assert any(d.get("sandbox_timeout_s") == [None, 30] and d.get("sandbox_memory_mb") == [None, 512] for d in logged), logged
    # Back to the platform's limits: the bundle without a sandbox key clears them, audited too.
    cleared = _bundle(tmp_path / "c")
    out = runner.invoke(cli, ["competition", "apply", str(cleared), "--no-reference-stats"], obj={"settings": settings})
    assert out.exit_code == 0, out.output
    db_session.expire_all()
    comp = get_competition(db_session, "lim")
    assert (comp.sandbox_timeout_s, comp.sandbox_memory_mb) == (None, None)
    logged = [e.details for e in audit_entries(db_session, comp) if e.action == "configure"]
    assert any(d.get("sandbox_timeout_s") == [30, None] for d in logged), logged
    path = _bundle(tmp_path / "d", sandbox={"timeout_s": 30, "memory_mb": 512})
    runner.invoke(cli, ["competition", "apply", str(path), "--no-reference-stats"], obj={"settings": settings})
    runner.invoke(cli, ["competition", "export-bundle", "lim", "-o", str(tmp_path / "out")], obj={"settings": settings})
    assert yaml.safe_load((tmp_path / "out" / "bundle.yaml").read_text())["sandbox"] == {"timeout_s": 30,
                                                                                           "memory_mb": 512}


class RecordingRunner:
    """Writes the content images as outputs and keeps the limits each run was given."""

    def __init__(self):
        self.limits = []

    def run(self, submission_path, submission_format, inputs_dir, output_dir, limits, labels, abort=None):
        self.limits.append(limits)
        for line in (inputs_dir / "pairs.csv").read_text().splitlines()[1:]:
            pair_id, content, _ = line.split(",")
            Image.open(inputs_dir / "content" / content).convert("RGB").save(output_dir / f"{pair_id}.png")
        return RunResult(log="", report={}, duration_s=0.01, image_id="sha256:recording")


def test_the_runs_of_a_competition_get_its_limits_and_provenance_records_them(settings, db_session, session_factory,
                                                                               tmp_path):
    hidden = publish(db_session, settings, make_dataset(tmp_path / "h", split="hidden", seed=3),
                     reference_stats=None).version
    from webseed import make_competition
    comp = make_competition(db_session, "lim", hidden_dataset=hidden, scorer_version="s1",
                            sandbox_timeout_s=45, sandbox_memory_mb=700)
    sub = make_submission(db_session, comp, make_user(db_session, "ann"))
    write_atomic(upload_path(settings, sub.sha256), b"not run: the runner is a stand-in")
    evaluation = Evaluation(submission=sub, dataset_version_id=hidden.id, scorer_version="s1")
    db_session.add(evaluation)
    db_session.commit()
    task = load_task(session_factory, evaluation.id, settings)
    assert (task.sandbox_timeout_s, task.sandbox_memory_mb) == (45, 700)
    inputs = stage_dataset(settings, task.dataset, tmp_path / "inputs")
    runner = RecordingRunner()
    context = SimpleNamespace(settings=settings, runner=runner)
    claim = Claim(evaluation.id, 1, "w", datetime.now(timezone.utc))
    outcome = run_generator(context, task, claim, inputs, tmp_path / "out", DatasetSplit.HIDDEN, threading.Event())
    assert (runner.limits[0].timeout_s, runner.limits[0].memory_mb) == (45, 700)
    assert runner.limits[0].cpus == settings.sandbox.cpus
    result = SimpleNamespace(metric_versions={}, per_style_sets=None, weight_hashes={}, calibrated=False, n=4, device="cpu",
                             kid=SimpleNamespace(std=0.0, subset_size=1, subsets=1, reliable=False),
                             deterministic=True, reference_protocol="style-images", n_references=0)
    recorded = provenance(task, claim, result, outcome, None, "w")["sandbox_limits"]
    assert recorded == {"timeout_s": 45, "memory_mb": 700, "cpus": settings.sandbox.cpus,
                        "per_competition": {"timeout_s": 45, "memory_mb": 700}}
