"""The weights manager: pinned manifest, verification on install, clean offline failure."""
from __future__ import annotations

import json

import hashlib
import socket
from pathlib import Path

import pytest
import torch
from click.testing import CliRunner

from arena.cli import cli
from arena.core.settings import Settings
from evaluator.metrics.errors import BackboneWeightsError
from evaluator.metrics.backbones import load_backbones
from evaluator.weights import (
    MANIFEST,
    Backbone,
    ChecksumMismatch,
    FetchFailed,
    WeightFile,
    WeightState,
    fetch_weights,
    install_weights,
    manifest_entry,
    weights_status,
)


def _entry_for(path: Path, backbone: Backbone = Backbone.ALEXNET, url: str = "http://127.0.0.1:9/x") -> WeightFile:
    data = path.read_bytes()
    return WeightFile(backbone, path.name, url, hashlib.sha256(data).hexdigest(), len(data))


def test_manifest_pins_the_reference_files():
    inception = manifest_entry(Backbone.INCEPTION)
    assert inception.filename == "pt_inception-2015-12-05-6726825d.pth"
    assert inception.sha256 == "6726825d0af5f729cebd5821db510b11b1cfad8faad88a03f1befd49fb9129b2"
    assert inception.size == 95_628_359
    for entry in MANIFEST:
        assert entry.url.endswith(entry.filename) and entry.url.startswith("https://")
        if entry.backbone is Backbone.ART_INCEPTION:
            continue  # published without a checksum: pinned by the organizer (tests below)
        # torchvision/pytorch-fid file names embed the first hex digits of the sha256.
        prefix = entry.filename.rsplit("-", 1)[1].split(".")[0]
        assert entry.sha256.startswith(prefix) and len(entry.sha256) == 64
    art = manifest_entry(Backbone.ART_INCEPTION)
    # The name and URL the art-fid package downloads (art_fid.art_fid.CKPT_URL).
    assert art.filename == "art_inception.pth" and art.sha256 is None
    assert art.url == "https://huggingface.co/matthias-wright/art_inception/resolve/main/art_inception.pth"


def test_a_file_without_a_published_checksum_needs_the_organizers_pin(tmp_path):
    source, dest = tmp_path / "src", tmp_path / "dest"
    source.mkdir()
    art = manifest_entry(Backbone.ART_INCEPTION)
    (source / art.filename).write_bytes(b"the art inception the organizer trusts")
    sha = hashlib.sha256((source / art.filename).read_bytes()).hexdigest()
    installed, refused = install_weights(source, dest, manifest=(art,))
    assert installed == [] and len(refused) == 1
    assert refused[0].code == "pin_required" and f"--pin art_inception.pth={sha}" in refused[0].message
    assert not (dest / art.filename).exists()
    # A wrong pin is a checksum mismatch; the right one installs and is remembered beside the file.
    installed, refused = install_weights(source, dest, manifest=(art,), pins={art.filename: "0" * 64})
    assert installed == [] and refused[0].code == "checksum_mismatch"
    installed, refused = install_weights(source, dest, manifest=(art,), pins={art.filename: sha.upper()})
    assert refused == [] and installed[0].verified
    status = weights_status(dest, (art,))[0]
    assert status.state is WeightState.VERIFIED and status.pinned_sha256 == sha
    # A file that changes after pinning no longer verifies; without a pin it is "unpinned".
    (dest / art.filename).write_bytes(b"swapped")
    assert weights_status(dest, (art,))[0].state is WeightState.MISMATCH
    (dest / "pins.json").unlink()
    assert weights_status(dest, (art,))[0].state is WeightState.UNPINNED


def test_weights_install_cli_takes_a_pin(tmp_path):
    settings = Settings(data_dir=tmp_path / "data", testing=True)
    source = tmp_path / "src"
    source.mkdir()
    art = manifest_entry(Backbone.ART_INCEPTION)
    (source / art.filename).write_bytes(b"art weights")
    sha = hashlib.sha256(b"art weights").hexdigest()
    runner = CliRunner()
    refused = runner.invoke(cli, ["weights", "install", "--from", str(source)], obj={"settings": settings})
    assert refused.exit_code == 1 and "pin_required" in refused.output
    done = runner.invoke(cli, ["weights", "install", "--from", str(source), "--pin", f"{art.filename}={sha}"],
                         obj={"settings": settings})
    assert done.exit_code == 0, done.output
    assert json.loads((settings.resolved_weights_dir / "pins.json").read_text()) == {art.filename: sha}
    bad = runner.invoke(cli, ["weights", "install", "--from", str(source), "--pin", "art_inception.pth"],
                        obj={"settings": settings})
    assert bad.exit_code == 2 and "FILE=SHA256" in bad.output


def test_install_refuses_a_file_with_the_wrong_checksum(tmp_path):
    source, dest = tmp_path / "src", tmp_path / "dest"
    source.mkdir()
    (source / manifest_entry(Backbone.VGG19).filename).write_bytes(b"not the real vgg19")
    installed, refused = install_weights(source, dest)
    assert installed == []
    mismatches = [error for error in refused if isinstance(error, ChecksumMismatch)]
    assert len(mismatches) == 1 and "vgg19-dcbb9e9d.pth" in mismatches[0].message
    assert mismatches[0].code == "checksum_mismatch"
    assert not (dest / manifest_entry(Backbone.VGG19).filename).exists()
    states = {s.entry.backbone: s.state for s in weights_status(source)}
    assert states[Backbone.VGG19] is WeightState.MISMATCH and states[Backbone.INCEPTION] is WeightState.MISSING


def test_install_copies_and_verifies_a_matching_file(tmp_path):
    source, dest = tmp_path / "src", tmp_path / "dest"
    source.mkdir()
    (source / "tiny-abc.pth").write_bytes(b"weights" * 100)
    manifest = (_entry_for(source / "tiny-abc.pth"),)
    installed, refused = install_weights(source, dest, manifest=manifest)
    assert refused == [] and installed[0].verified
    assert (dest / "tiny-abc.pth").read_bytes() == b"weights" * 100
    assert [s.state for s in weights_status(dest, manifest)] == [WeightState.VERIFIED]
    assert not any(p.name.startswith(".installing") for p in dest.iterdir())


def test_fetch_fails_with_a_clear_message_offline(tmp_path):
    # A closed local port: the same failure path as a machine without internet, but instant.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    (tmp_path / "x.pth").write_bytes(b"x")
    manifest = (_entry_for(tmp_path / "x.pth", url=f"http://127.0.0.1:{port}/x.pth"),)
    with pytest.raises(FetchFailed) as excinfo:
        fetch_weights(tmp_path / "dest", timeout_s=5, manifest=manifest)
    assert "stylearena weights install --from DIR" in excinfo.value.message
    assert f"127.0.0.1:{port}" in excinfo.value.message


def test_weights_cli_status_install_and_fetch(tmp_path):
    settings = Settings(data_dir=tmp_path / "data", testing=True)
    runner = CliRunner()
    status = runner.invoke(cli, ["weights", "status", "--json"], obj={"settings": settings})
    assert status.exit_code == 0, status.output
    assert '"calibrated": false' in status.output and '"state": "missing"' in status.output
    # It names the scorer these (missing) files make: the seeded one every worker here is.
    from scorerfixtures import seeded_scorer_id

    assert json.loads(status.output)["scorer"] == seeded_scorer_id()
    source = tmp_path / "src"
    source.mkdir()
    (source / manifest_entry(Backbone.INCEPTION).filename).write_bytes(b"tampered")
    install = runner.invoke(cli, ["weights", "install", "--from", str(source)], obj={"settings": settings})
    assert install.exit_code == 1
    assert "checksum_mismatch" in install.output and "pt_inception-2015-12-05-6726825d.pth" in install.output
    assert not (settings.resolved_weights_dir / manifest_entry(Backbone.INCEPTION).filename).exists()


def test_an_unverified_file_is_used_as_given_but_flagged_uncalibrated(tmp_path):
    weights_dir = tmp_path / "w"
    weights_dir.mkdir()
    from evaluator.metrics.backbones.lpips_alex import seeded_alexnet_trunk

    trunk = seeded_alexnet_trunk(seed=3)
    torch.save({f"features.{k}": v for k, v in trunk.state_dict().items()}, weights_dir / manifest_entry(Backbone.ALEXNET).filename)
    torch.set_num_threads(1)
    backbones = load_backbones(weights_dir, torch.device("cpu"))
    info = {item.name: item for item in backbones.info}
    assert info["alexnet"].source == "file" and not info["alexnet"].verified
    assert info["alexnet"].weight_hash == hashlib.sha256((weights_dir / manifest_entry(Backbone.ALEXNET).filename).read_bytes()).hexdigest()
    assert info["vgg19"].weight_hash.startswith("uncalibrated:")
    assert info["lpips_linear"].verified  # the lpips package's own file matches its pin
    assert not backbones.calibrated
    loaded = backbones.lpips.trunk.state_dict()
    assert all(torch.equal(loaded[k], v) for k, v in trunk.state_dict().items())


def test_a_file_that_does_not_fit_the_network_is_a_clear_error(tmp_path):
    torch.save({"features.0.weight": torch.zeros(1)}, tmp_path / manifest_entry(Backbone.ALEXNET).filename)
    with pytest.raises(BackboneWeightsError) as excinfo:
        load_backbones(tmp_path, torch.device("cpu"))
    assert "features.0.weight" in excinfo.value.message


def test_weights_fetch_command_fails_cleanly_without_internet(tmp_path):
    try:
        socket.getaddrinfo("github.com", 443)
    except OSError:
        pass
    else:  # pragma: no cover - depends on the machine
        pytest.skip("this machine resolves github.com; the offline path is covered with a closed port")
    settings = Settings(data_dir=tmp_path / "data", testing=True)
    result = CliRunner().invoke(cli, ["weights", "fetch", "--timeout", "5"], obj={"settings": settings})
    assert result.exit_code == 1
    assert "cannot download pt_inception-2015-12-05-6726825d.pth" in result.output
    assert "stylearena weights install --from DIR" in result.output and "Traceback" not in result.output
    assert not any((tmp_path / "data" / "weights").glob("*.pth"))
