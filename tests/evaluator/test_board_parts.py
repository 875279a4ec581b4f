"""A split hidden version: the split itself, and one scoring run scored as two boards."""
from __future__ import annotations

import shutil
from collections import Counter
from dataclasses import dataclass

import pytest
import sqlalchemy as sa
from pipeline_fixtures import FakeRunner, upload, write_image_set
from scorerfixtures import seeded_scorer_id

from arena.core.datasets.board_split import MIN_SPLIT_PAIRS, SplitRefused, board_split
from arena.core.db import transaction
from arena.core.enums import CompetitionStatus, UserRole
from arena.core.imageset import CONTENT_DIR, STYLE_DIR
from arena.core.models import Competition, Evaluation, PrivateScore, Score, Submission
from arena.core.store import outputs as outputs_store
from arena.core.datasets.staging import stage_dataset
from arena.core.store.datasets import DatasetRef
from arena.services.accounts import create_user
from arena.services.publishing import publish
from evaluator.attempt import AttemptOutcome, run_attempt
from evaluator.context import WorkerContext
from evaluator.metrics.catalog import METRICS
from evaluator.metrics.io import read_pairs_csv


@dataclass(frozen=True)
class P:
    pair_id: str
    style: str


def _pairs(per_style: dict[str, int]) -> list[P]:
    return [P(f"{style}-{i:03d}", style) for style, n in per_style.items() for i in range(n)]


def test_the_split_is_deterministic_stratified_and_named_by_its_digest():
    pairs = _pairs({"a": 20, "b": 7, "c": 2, "d": 1})
    split = board_split(pairs, 0.3, seed=5)
    assert split == board_split(list(reversed(pairs)), 0.3, seed=5)  # order of the list does not matter
    public = Counter(p.style for p in pairs if p.pair_id in split.public)
    # round(0.3 n) per style, at least one on each side of a style with two or more; a lone pair is private.
    assert public == {"a": 6, "b": 2, "c": 1}
    assert split.public | split.private == {p.pair_id for p in pairs} and not split.public & split.private
    other = board_split(pairs, 0.3, seed=6)
    assert other.public != split.public and other.digest != split.digest
    # Adding a style never reshuffles another style's pairs.
    grown = board_split(pairs + _pairs({"e": 5}), 0.3, seed=5)
    assert {p for p in grown.public if not p.startswith("e-")} == split.public


@pytest.mark.parametrize("fraction", [0.0, 1.0, -0.2, 1.5])
def test_a_fraction_outside_zero_one_is_refused(fraction):
    with pytest.raises(SplitRefused, match="between 0 and 1"):
        board_split(_pairs({"a": 20}), fraction, seed=1)


def test_a_small_set_is_not_split():
    with pytest.raises(SplitRefused, match="too few"):
        board_split(_pairs({"a": MIN_SPLIT_PAIRS - 1}), 0.5, seed=1)


def test_publish_records_the_split_and_never_changes_it(eval_settings, session_factory, tmp_path):
    source = write_image_set(tmp_path / "h", "h", "hidden", 12, seed=3)
    with transaction(session_factory) as session:
        first = publish(session, eval_settings, source, reference_stats=None, board_fraction=0.25)
        again = publish(session, eval_settings, source, reference_stats=None, board_fraction=0.5)
        assert first.version.board_public_fraction == 0.25 and first.version.board_split_sha256
        assert "split: 4 pairs on the public board, 8 on the private board" in first.board_split_note
        assert "already split" in again.board_split_note and again.version.board_public_fraction == 0.25
        small = publish(session, eval_settings, write_image_set(tmp_path / "s", "s", "hidden", 4, seed=4),
                        reference_stats=None, board_fraction=0.3)
        assert small.version.board_public_fraction is None and "too few" in small.board_split_note


def test_one_run_is_scored_as_a_public_and_a_private_board(eval_settings, session_factory, tmp_path, generator,
                                                           metric_suite):
    with transaction(session_factory) as session:
        user = create_user(session, "splitter", "correct horse battery", role=UserRole.PARTICIPANT)
        hidden = publish(session, eval_settings, write_image_set(tmp_path / "hidden", "hidden", "hidden", 12, seed=1),
                         reference_stats=None, board_fraction=0.3).version
        competition = Competition(slug="split", title="split", status=CompetitionStatus.OPEN, daily_quota=50,
                                  hidden_dataset_id=hidden.id, scorer_version=seeded_scorer_id())
        session.add(competition)
        session.flush()
        world = type("W", (), {"user_id": user.id, "competition_id": competition.id})
        hidden_id, split_sha = hidden.id, hidden.board_split_sha256
    submission_id = upload(eval_settings, session_factory, world, generator)
    with session_factory() as session:
        evaluation_id = session.get(Submission, submission_id).evaluations[0].id
    context = WorkerContext(settings=eval_settings, runner=FakeRunner(), scorer=metric_suite, worker_name="t")
    assert run_attempt(context, evaluation_id) is AttemptOutcome.SCORED

    with session_factory() as session:
        evaluation = session.get(Evaluation, evaluation_id)
        public = {s.metric: s for s in session.scalars(sa.select(Score).where(Score.evaluation_id == evaluation_id))}
        private = {s.metric: s for s in session.scalars(
            sa.select(PrivateScore).where(PrivateScore.evaluation_id == evaluation_id))}
        version_dir = stage_dataset(eval_settings, DatasetRef.of(evaluation.dataset_version), tmp_path / "staged")
        provenance, per_pair, outputs_sha = evaluation.provenance, evaluation.per_pair, evaluation.outputs_sha256
    assert set(public) == set(private) == set(METRICS)
    split = provenance["board_split"]
    assert (split["sha256"], split["public_pairs"], split["private_pairs"]) == (split_sha, 4, 8)
    # Nothing of the private part in what pages read: per-pair values and n are the public part's.
    assert len(per_pair) == 4 and provenance["n"] == 4
    assert all(isinstance(v, (int, float, str, type(None), dict)) for v in split.values())
    assert private["fid"].replicates is not None and private["fid"].ci_low is not None

    # Each board's numbers are what the metric suite computes on that board's pairs alone.
    pairs = read_pairs_csv(version_dir / "pairs.csv")
    outputs = outputs_store.load_outputs(eval_settings, outputs_sha)
    public_ids = set(per_pair)
    for chosen, stored in (([p for p in pairs if p.pair_id in public_ids], public),
                           ([p for p in pairs if p.pair_id not in public_ids], private)):
        only = tmp_path / f"only-{len(chosen)}"
        only.mkdir()
        for pair in chosen:
            shutil.copyfile(outputs / f"{pair.pair_id}.png", only / f"{pair.pair_id}.png")
        expected = metric_suite.score(chosen, only, version_dir / CONTENT_DIR, version_dir / STYLE_DIR)
        for name in ("lpips", "content_loss", "style_loss", "fid", "art_fid"):
            assert stored[name].value == pytest.approx(expected.metrics[name], rel=1e-6, abs=1e-9), name
    assert public["fid"].value != private["fid"].value  # (the fake outputs are the content images: LPIPS is 0)
    assert hidden_id == evaluation.dataset_version_id


def test_the_cli_publishes_a_split_by_default_and_says_so(eval_settings, tmp_path):
    from click.testing import CliRunner

    from arena.cli import cli

    def run(*args):
        result = CliRunner().invoke(cli, ["dataset", "publish", *args, "--no-reference-stats", "--json"],
                                    obj={"settings": eval_settings})
        assert result.exit_code == 0, result.output
        import json

        return json.loads(result.output)

    split = run(str(write_image_set(tmp_path / "a", "a", "hidden", 20, seed=5)))
    assert split["board_split"]["public_fraction"] == 0.3 and "6 pairs on the public board" in split["board_split_note"]
    whole = run(str(write_image_set(tmp_path / "b", "b", "hidden", 20, seed=6)), "--no-board-split")
    assert whole["board_split"] is None
    public = run(str(write_image_set(tmp_path / "c", "c", "public", 20, seed=7)))
    assert public["board_split"] is None  # only hidden versions have boards to split
