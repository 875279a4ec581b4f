"""Publishing datasets: valid sets, each kind of invalid set, idempotency, new versions."""
from __future__ import annotations

import hashlib
import json
import zipfile

import pytest
from datasets_helpers import make_dataset, read_manifest, write_image, write_manifest
from PIL import Image
from sqlalchemy import func, select

from arena.core.datasets.download import public_download
from arena.core.datasets.errors import DatasetError, DatasetInvalid
from arena.core.datasets.staging import stage_dataset
from arena.core.store.datasets import dataset_path
from arena.services.publishing import publish, publish_dataset
from arena.core.enums import DatasetSplit
from arena.core.errors import Forbidden, NotFound
from arena.core.models import DatasetVersion
from arena.services.competitions import create_competition


def _publish(db_session, settings, path, **kw):
    kw.setdefault("reference_stats", None)
    return publish(db_session, settings, path, **kw)


def test_publish_valid_set_records_and_stores_it(db_session, settings, tmp_path):
    src = make_dataset(tmp_path / "src", n_content=2, n_style=3)
    events = []
    result = _publish(db_session, settings, src, progress=lambda s, d, t: events.append((s, d, t)))
    db_session.commit()
    v = result.version
    assert result.created
    assert (v.n_content, v.n_style, v.n_pairs, v.split, v.name) == (2, 3, 6, DatasetSplit.PUBLIC, "tiny")
    root = dataset_path(settings, v)
    manifest_bytes = (root / "manifest.json").read_bytes()
    assert hashlib.sha256(manifest_bytes).hexdigest() == v.manifest_sha256
    manifest = json.loads(manifest_bytes)
    for entry in manifest["content"]:
        stored = (root / "content" / entry["file"]).read_bytes()
        assert hashlib.sha256(stored).hexdigest() == entry["sha256"]
        assert stored == (src / "content" / entry["file"]).read_bytes()  # RGB PNG kept as is
    assert (root / "pairs.csv").read_text().splitlines()[0] == "pair_id,content,style"
    assert len((root / "pairs.csv").read_text().splitlines()) == 7
    assert events[-1] == ("check", 5, 5)


def test_publish_is_idempotent_and_a_change_is_a_new_version(db_session, settings, tmp_path):
    src = make_dataset(tmp_path / "src")
    first = _publish(db_session, settings, src).version
    again = _publish(db_session, settings, src)
    assert not again.created and again.version.id == first.id
    # Rewriting the manifest with a different key order or indentation is the same version.
    write_manifest(src, dict(reversed(list(read_manifest(src).items()))))
    assert _publish(db_session, settings, src).version.id == first.id
    write_image(src / "content" / "c0.png", seed=999)
    changed = _publish(db_session, settings, src)
    assert changed.created and changed.version.manifest_sha256 != first.manifest_sha256
    db_session.commit()
    assert db_session.scalar(select(func.count(DatasetVersion.id))) == 2


def test_conversion_policy_grey_alpha_and_jpeg(db_session, settings, tmp_path):
    src = make_dataset(tmp_path / "src", n_content=1, n_style=1)
    write_image(src / "content" / "g.png", seed=5, mode="L")
    write_image(src / "content" / "j.jpg", seed=6, fmt="JPEG")
    Image.new("RGBA", (64, 64), (255, 0, 0, 0)).save(src / "style" / "clear.png")
    m = read_manifest(src)
    m["content"] += ["g.png", "j.jpg"]
    m["style"].append("clear.png")
    m["pairs"] += [{"pair_id": "g", "content": "g.png", "style": "clear.png"},
                   {"pair_id": "j", "content": "j.jpg", "style": "s0.png"}]
    write_manifest(src, m)
    v = _publish(db_session, settings, src).version
    root = dataset_path(settings, v)
    assert Image.open(root / "content" / "g.png").mode == "RGB"
    assert (root / "content" / "j.jpg").read_bytes() == (src / "content" / "j.jpg").read_bytes()
    # Fully transparent pixels are composited over white.
    assert Image.open(root / "style" / "clear.png").getpixel((3, 3)) == (255, 255, 255)


@pytest.mark.parametrize(
    "breakage, expected",
    [
        ("missing_file", "content/c1.png: listed in the manifest but the file does not exist"),
        ("dangling_pair", "style/nope.png: referenced by pair 'p00'"),
        ("duplicate_image", "style/s0.png: identical to style/s1.png"),
        ("duplicate_pair_id", "pairs: pair_id 'p01' is used 2 times"),
        ("too_small", "content/c0.png: 32x32 is smaller than the minimum 64x64"),
        ("not_an_image", "style/s0.png: not a decodable image"),
        ("bad_format", "content/c0.png: format ICO is not allowed"),
        ("unused_style", "style/extra.png: listed but used by no pair"),
        ("hash_mismatch", "content/c0.png: sha256"),
        ("no_licence", "'licence'"),
        ("path_traversal", "content/../x.png: not a plain file name"),
    ],
)
def test_invalid_sets_are_rejected_naming_the_file(db_session, settings, tmp_path, breakage, expected):
    src = make_dataset(tmp_path / "src")
    m = read_manifest(src)
    if breakage == "missing_file":
        (src / "content" / "c1.png").unlink()
    elif breakage == "dangling_pair":
        m["pairs"][0]["style"] = "nope.png"
    elif breakage == "duplicate_image":
        (src / "style" / "s1.png").write_bytes((src / "style" / "s0.png").read_bytes())
    elif breakage == "duplicate_pair_id":
        m["pairs"][2]["pair_id"] = "p01"
    elif breakage == "too_small":
        write_image(src / "content" / "c0.png", seed=1, size=(32, 32))
    elif breakage == "not_an_image":
        (src / "style" / "s0.png").write_bytes(b"not an image at all")
    elif breakage == "bad_format":
        Image.new("RGB", (64, 64)).save(src / "content" / "c0.png", format="ICO")
    elif breakage == "unused_style":
        write_image(src / "style" / "extra.png", seed=77)
        m["style"].append("extra.png")
    elif breakage == "hash_mismatch":
        m["content"][0] = {"file": "c0.png", "sha256": "0" * 64}
    elif breakage == "no_licence":
        m["licence"] = ""
    elif breakage == "path_traversal":
        m["content"][0] = "../x.png"
    write_manifest(src, m)
    with pytest.raises(DatasetError) as info:
        _publish(db_session, settings, src)
    assert expected in info.value.message
    assert db_session.scalar(select(func.count(DatasetVersion.id))) == 0


def test_all_problems_are_reported_at_once(db_session, settings, tmp_path):
    src = make_dataset(tmp_path / "src")
    write_image(src / "content" / "c0.png", seed=1, size=(10, 10))
    (src / "style" / "s1.png").write_bytes(b"junk")
    with pytest.raises(DatasetInvalid) as info:
        _publish(db_session, settings, src)
    assert len(info.value.problems) == 2
    assert {p.split(":")[0] for p in info.value.problems} == {"content/c0.png", "style/s1.png"}


def test_split_must_agree_and_can_be_supplied(db_session, settings, tmp_path):
    src = make_dataset(tmp_path / "src", split=None)
    with pytest.raises(DatasetError, match="pass --split"):
        _publish(db_session, settings, src)
    assert _publish(db_session, settings, src, split="hidden").version.split == DatasetSplit.HIDDEN
    other = make_dataset(tmp_path / "other", split="public", seed=3)
    with pytest.raises(DatasetError, match="says split 'public' but 'hidden'"):
        _publish(db_session, settings, other, split=DatasetSplit.HIDDEN)


def test_publish_sets_competition_versions_and_refuses_leaks(db_session, settings, tmp_path):
    create_competition(db_session, "main", "Main")
    pub = _publish(db_session, settings, make_dataset(tmp_path / "pub", seed=1), competition_slug="main").version
    hidden_src = make_dataset(tmp_path / "hid", name="tiny-hidden", split="hidden", seed=2)
    hid = _publish(db_session, settings, hidden_src, competition_slug="main").version
    db_session.commit()
    comp = db_session.scalar(select(DatasetVersion).where(DatasetVersion.id == hid.id))
    assert comp is not None
    from arena.services.competitions import get_competition
    c = get_competition(db_session, "main")
    assert (c.public_dataset_id, c.hidden_dataset_id) == (pub.id, hid.id)
    leaky = make_dataset(tmp_path / "leak", name="leak", split="hidden", seed=2)
    (leaky / "content" / "c1.png").write_bytes((tmp_path / "pub" / "content" / "c0.png").read_bytes())
    with pytest.raises(DatasetInvalid, match="content/c1.png: identical to content/c0.png of the public"):
        _publish(db_session, settings, leaky, competition_slug="main")
    with pytest.raises(NotFound):
        _publish(db_session, settings, hidden_src, competition_slug="nope")


def test_stage_dataset_materialises_layout_and_detects_tampering(db_session, settings, tmp_path):
    v = _publish(db_session, settings, make_dataset(tmp_path / "src")).version
    staged = stage_dataset(settings, v, tmp_path / "run" / "inputs")
    assert sorted(p.name for p in (staged / "content").iterdir()) == ["c0.png", "c1.png"]
    assert (staged / "pairs.csv").read_text().startswith("pair_id,content,style\n")
    with pytest.raises(DatasetError, match="empty directory"):
        stage_dataset(settings, v, staged)
    stored = dataset_path(settings, v) / "style" / "s0.png"
    stored.unlink()
    write_image(stored, seed=1234)
    with pytest.raises(DatasetError, match="style/s0.png: altered"):
        stage_dataset(settings, v, tmp_path / "run2")


def test_public_download_zip_and_hidden_refused(db_session, settings, tmp_path):
    pub = _publish(db_session, settings, make_dataset(tmp_path / "pub")).version
    hid = _publish(db_session, settings, make_dataset(tmp_path / "hid", split="hidden", seed=4)).version
    path = public_download(settings, pub)
    with zipfile.ZipFile(path) as zf:
        names = sorted(n.split("/", 1)[1] for n in zf.namelist())
        manifest = json.loads(zf.read(f"tiny-{pub.manifest_sha256[:12]}/manifest.json"))
    assert names == ["content/c0.png", "content/c1.png", "manifest.json", "pairs.csv", "style/s0.png", "style/s1.png"]
    assert manifest["split"] == "public"
    with pytest.raises(Forbidden):
        public_download(settings, hid)


def test_publish_dataset_returns_the_row_and_runs_reference_stats(db_session, settings, tmp_path):
    calls = []

    def fake_stats(s, path, sha):
        calls.append((path.name, sorted(p.name for p in (path / "style").iterdir())))
        return f"cache/{sha}.npz"

    v = publish_dataset(db_session, settings, make_dataset(tmp_path / "src"), reference_stats=fake_stats)
    assert isinstance(v, DatasetVersion) and v.reference_stats_path == f"cache/{v.manifest_sha256}.npz"
    publish_dataset(db_session, settings, tmp_path / "src", reference_stats=fake_stats)
    assert calls == [(v.manifest_sha256, ["s0.png", "s1.png"])]  # computed once
