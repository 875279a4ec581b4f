"""Dataset lifecycle (issue 19): staging never empties a live board, the platform-wide leak
check (exact and perceptual), every problem reported at once, conversions named, unlisted
files, retiring, and which competitions use each version."""
from __future__ import annotations

import io
import json

import pytest
from click.testing import CliRunner
from datasets_helpers import make_dataset, read_manifest, write_image, write_manifest
from PIL import Image
from sqlalchemy import delete, func, select
from webseed import add_scored, full_scores, make_user

from arena.cli import cli
from arena.core.datasets.errors import DatasetError, DatasetInvalid
from arena.core.models import DatasetImageHash
from arena.services.competitions import create_competition, get_competition
from arena.services.leaderboard import leaderboard_rows
from arena.services.publishing import Placement, assign_to_competition, publish, retire_version


def _publish(session, settings, path, **kw):
    kw.setdefault("reference_stats", None)
    return publish(session, settings, path, **kw)


@pytest.fixture
def invoke(settings):
    runner = CliRunner()

    def run(*args: str, ok: bool = True):
        result = runner.invoke(cli, list(args), obj={"settings": settings})
        assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
        assert (result.exit_code == 0) == ok, result.output
        return result

    return run


@pytest.fixture
def live(db_session, settings, tmp_path):
    """A competition whose board shows one scored entry on hidden version 1."""
    comp = create_competition(db_session, "live", "Live", scorer_version="s1")
    _publish(db_session, settings, make_dataset(tmp_path / "pub", seed=1), competition_slug="live")
    hidden = _publish(db_session, settings, make_dataset(tmp_path / "hid1", name="h1", split="hidden", seed=2),
                      competition_slug="live")
    assert hidden.placement == Placement.ATTACHED  # it had none: nothing shown could change
    add_scored(db_session, comp, make_user(db_session, "ann"), full_scores(10.0), 1)
    db_session.commit()
    return comp


def test_publishing_for_a_live_competition_stages_and_never_empties_the_board(invoke, live, db_session, tmp_path):
    before = live.hidden_dataset_id
    assert len(leaderboard_rows(db_session, live)) == 1
    src = make_dataset(tmp_path / "hid2", name="h2", split="hidden", seed=3)
    out = invoke("dataset", "publish", str(src), "--competition", "live", "--no-reference-stats").stdout
    db_session.expire_all()
    comp = get_competition(db_session, "live")
    assert comp.hidden_dataset_id == before
    assert comp.staged_hidden_dataset.name == "h2"
    assert len(leaderboard_rows(db_session, comp)) == 1
    ref = comp.staged_hidden_dataset.manifest_sha256[:12]
    lines = out.splitlines()
    rescore = lines.index(f"  stylearena rescore live --dataset-version {ref}")
    switch = lines.index(f"  stylearena competition configure live --hidden-dataset {ref}")
    assert "board is unchanged" in out and rescore < switch
    # Publishing the same directory again changes nothing; the switch (configure) empties the slot.
    invoke("dataset", "publish", str(src), "--competition", "live", "--no-reference-stats")
    invoke("competition", "configure", "live", "--hidden-dataset", ref, "--force")  # the other rule: unscored
    db_session.expire_all()
    comp = get_competition(db_session, "live")
    assert comp.hidden_dataset.name == "h2" and comp.staged_hidden_dataset_id is None


def test_a_public_version_is_staged_too(live, db_session, settings, tmp_path):
    result = _publish(db_session, settings, make_dataset(tmp_path / "pub2", name="p2", seed=4), competition_slug="live")
    assert result.placement == Placement.STAGED
    assert live.public_dataset.name == "tiny" and live.staged_public_dataset.name == "p2"
    assert result.next_steps == (f"stylearena competition configure live --public-dataset "
                                 f"{result.version.manifest_sha256[:12]}",)


def _jpeg(path, quality=75):
    with Image.open(path) as img:
        buf = io.BytesIO()
        img.convert("RGB").save(buf, "JPEG", quality=quality)
    return buf.getvalue()


def _resized(path, factor=0.95):
    with Image.open(path) as img:
        small = img.resize((round(img.width * factor), round(img.height * factor)), Image.Resampling.BILINEAR)
        buf = io.BytesIO()
        small.save(buf, "PNG")
    return buf.getvalue()


def test_the_leak_check_spans_versions_and_competitions_exactly_and_perceptually(db_session, settings, tmp_path):
    create_competition(db_session, "one", "One")
    create_competition(db_session, "two", "Two")
    old_pub = make_dataset(tmp_path / "old", name="old-pub", seed=1)
    _publish(db_session, settings, old_pub, competition_slug="one")
    new_pub = _publish(db_session, settings, make_dataset(tmp_path / "new", name="new-pub", seed=2)).version
    assign_to_competition(settings, get_competition(db_session, "one"), new_pub)  # old-pub is no longer current
    other_pub = make_dataset(tmp_path / "other", name="two-pub", seed=3, n_content=3)
    write_image(other_pub / "style" / "s0.png", seed=333, size=(96, 100))  # room for a 95 % resize
    _publish(db_session, settings, other_pub, competition_slug="two")

    hidden = make_dataset(tmp_path / "hid", name="hid", split="hidden", seed=4, n_content=4)
    (hidden / "content" / "c0.png").write_bytes((old_pub / "content" / "c1.png").read_bytes())   # earlier version
    (hidden / "content" / "c1.png").write_bytes(_jpeg(other_pub / "content" / "c2.png"))          # other comp, JPEG 75
    (hidden / "content" / "c2.png").write_bytes(_resized(other_pub / "style" / "s0.png"))         # 95 % resize
    with pytest.raises(DatasetInvalid) as err:
        _publish(db_session, settings, hidden, competition_slug="one")
    problems = err.value.problems
    assert len(problems) == 3, problems
    assert problems[0].startswith("content/c0.png: identical to content/c1.png of the public version")
    assert "(old-pub, id" in problems[0]
    assert any(p.startswith("content/c1.png: a near-duplicate") and "of content/c2.png" in p and "used by two" in p
               for p in problems)
    assert any(p.startswith("content/c2.png: a near-duplicate") and "of style/s0.png" in p for p in problems)
    # c3 and the styles are unrelated noise images: never flagged.
    assert not any(p.startswith(("content/c3.png", "style/")) for p in problems)
    assert get_competition(db_session, "one").hidden_dataset_id is None


def test_a_public_version_holding_a_hidden_image_is_refused(db_session, settings, tmp_path):
    create_competition(db_session, "c", "C")
    hidden = make_dataset(tmp_path / "hid", name="hid", split="hidden", seed=5)
    _publish(db_session, settings, hidden, competition_slug="c")
    pub = make_dataset(tmp_path / "pub", seed=6)
    (pub / "style" / "s1.png").write_bytes(_jpeg(hidden / "style" / "s0.png"))
    with pytest.raises(DatasetInvalid, match=r"style/s1.png: a near-duplicate .* of style/s0.png of the hidden"):
        _publish(db_session, settings, pub, competition_slug="c")


def test_fingerprints_are_stored_and_backfilled(db_session, settings, tmp_path):
    create_competition(db_session, "c", "C")
    pub = _publish(db_session, settings, make_dataset(tmp_path / "pub", seed=1), competition_slug="c").version
    stored = db_session.scalars(select(DatasetImageHash).where(DatasetImageHash.dataset_version_id == pub.id)).all()
    assert sorted(h.path for h in stored) == ["content/c0.png", "content/c1.png", "style/s0.png", "style/s1.png"]
    # A version published before fingerprints were stored is fingerprinted on first need.
    db_session.execute(delete(DatasetImageHash))
    leaky = make_dataset(tmp_path / "hid", split="hidden", seed=2)
    (leaky / "content" / "c0.png").write_bytes(_jpeg(tmp_path / "pub" / "content" / "c0.png"))
    with pytest.raises(DatasetInvalid, match="content/c0.png: a near-duplicate"):
        _publish(db_session, settings, leaky, competition_slug="c")
    assert db_session.scalar(select(func.count()).select_from(DatasetImageHash)
                             .where(DatasetImageHash.dataset_version_id == pub.id)) == 4


def test_every_manifest_and_image_problem_is_reported_at_once(db_session, settings, tmp_path):
    src = make_dataset(tmp_path / "src")
    m = read_manifest(src)
    m.update(name="bad name!", licence="")
    m["pairs"].append({"pair_id": "x"})
    write_manifest(src, m)
    with pytest.raises(DatasetInvalid) as err:
        _publish(db_session, settings, src)
    text = "\n".join(err.value.problems)
    assert len(err.value.problems) == 3 and "'name'" in text and "'licence'" in text and "pair #5" in text
    # Manifest-structure and image problems together, with an unlisted file.
    src = make_dataset(tmp_path / "src2")
    m = read_manifest(src)
    m["pairs"][0]["style"] = "nope.png"
    write_manifest(src, m)
    (src / "content" / "c1.png").write_bytes(b"junk")
    write_image(src / "style" / "forgotten.png", seed=9)
    with pytest.raises(DatasetInvalid) as err:
        _publish(db_session, settings, src)
    starts = sorted(p.split(":")[0] for p in err.value.problems)
    assert starts == ["content/c1.png", "style/forgotten.png", "style/nope.png"]


def test_unlisted_files_are_refused_or_listed_and_conversions_are_named(invoke, db_session, settings, tmp_path):
    src = make_dataset(tmp_path / "src")
    Image.new("CMYK", (64, 64), (0, 200, 100, 10)).save(src / "content" / "c1.jpg", "JPEG")
    m = read_manifest(src)
    m["content"][1] = "c1.jpg"
    for p in m["pairs"]:
        p["content"] = "c1.jpg" if p["content"] == "c1.png" else p["content"]
    write_manifest(src, m)
    (src / "content" / "c1.png").rename(src / "content" / "old.png")
    (src / "content" / ".DS_Store").write_bytes(b"finder")
    refused = invoke("dataset", "publish", str(src), "--no-reference-stats", ok=False).output
    assert "content/old.png: in the folder but not listed" in refused and "--allow-unlisted" in refused
    assert ".DS_Store" not in refused
    out = invoke("dataset", "publish", str(src), "--no-reference-stats", "--allow-unlisted", "--json").stdout
    doc = json.loads(out)
    assert doc["unlisted"] == ["content/old.png"]
    assert doc["conversions"] == ["content/c1.jpg: converted from CMYK JPEG to RGB PNG (stored as content/c1.png)."]
    text = invoke("dataset", "publish", str(src), "--no-reference-stats", "--allow-unlisted").stdout
    assert "converted from CMYK JPEG" in text and "left out 1 unlisted file(s): content/old.png" in text


def test_retired_versions_cannot_be_attached_and_boards_keep_working(invoke, live, db_session, settings, tmp_path):
    shown = live.hidden_dataset
    staged = _publish(db_session, settings, make_dataset(tmp_path / "h2", name="h2", split="hidden", seed=7),
                      competition_slug="live").version
    db_session.commit()
    out = invoke("dataset", "retire", str(staged.id)).stdout
    assert out.startswith("retired: h2")
    db_session.expire_all()
    assert get_competition(db_session, "live").staged_hidden_dataset_id is None
    refused = invoke("competition", "configure", "live", "--hidden-dataset", str(staged.id), "--force",
                     ok=False).output
    assert "was retired" in refused
    with pytest.raises(DatasetError, match="was retired"):
        _publish(db_session, settings, tmp_path / "h2", competition_slug="live")
    # Retiring the version a board shows: the board keeps it and keeps its entries.
    assert "still shown by: live (hidden)" in invoke("dataset", "retire", str(shown.id)).stdout
    assert "already retired" in invoke("dataset", "retire", str(shown.id)).stdout
    db_session.expire_all()
    comp = get_competition(db_session, "live")
    assert comp.hidden_dataset_id == shown.id and len(leaderboard_rows(db_session, comp)) == 1
    listed = {v["name"]: v for v in json.loads(invoke("dataset", "list", "--json").stdout)}
    assert listed["h1"]["used_by"] == ["live (hidden)"] and listed["h1"]["retired_at"]
    assert listed["tiny"]["used_by"] == ["live (public)"] and listed["h2"]["used_by"] == []
    assert "used by: live (hidden)" in invoke("dataset", "list").stdout
    assert retire_version(db_session, comp.public_dataset) is True


def test_a_version_whose_files_are_gone_blocks_until_retired(db_session, settings, tmp_path):
    import shutil

    from arena.core.store.datasets import dataset_path

    create_competition(db_session, "c", "C")
    gone = _publish(db_session, settings, make_dataset(tmp_path / "gone", name="gone", seed=1)).version
    db_session.execute(delete(DatasetImageHash))  # published before fingerprints were stored
    shutil.rmtree(dataset_path(settings, gone))
    hidden = make_dataset(tmp_path / "hid", split="hidden", seed=2)
    with pytest.raises(DatasetInvalid) as err:
        _publish(db_session, settings, hidden, competition_slug="c")
    assert any("cannot be compared" in p and f"stylearena dataset retire {gone.id}" in p for p in err.value.problems)
    retire_version(db_session, gone)
    assert _publish(db_session, settings, hidden, competition_slug="c").placement == Placement.ATTACHED


def test_no_progress_labels_when_stderr_is_not_a_terminal(settings, tmp_path):
    result = CliRunner().invoke(cli, ["dataset", "publish", str(make_dataset(tmp_path / "src")), "--no-reference-stats"],
                                obj={"settings": settings})
    assert result.exit_code == 0 and result.stderr == "" and result.stdout.startswith("published: tiny")
