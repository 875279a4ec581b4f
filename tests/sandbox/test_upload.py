"""Host-side upload validation: formats, zip streaming caps, paths, manifest."""
from __future__ import annotations

import stat
import zipfile
from pathlib import Path

import pytest

from arena.core.enums import SubmissionFormat
from sandbox.errors import UploadRejected
from sandbox.examples import write_blend_package, write_package, write_torchscript_generator
from sandbox.upload import ZipLimits, validate_upload

MB = 1 << 20


def rejected(path: Path, max_bytes: int = 50 * MB, limits: ZipLimits | None = None) -> str:
    with pytest.raises(UploadRejected) as info:
        validate_upload(path, max_bytes, limits)
    assert info.value.message  # every rejection says what to do
    return info.value.code


def zip_with(path: Path, entries: list[tuple[zipfile.ZipInfo | str, bytes]]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for info, data in entries:
            zf.writestr(info, data)
    return path


def test_torchscript_accepted(tmp_path):
    path = write_torchscript_generator(tmp_path / "model.pt")
    info = validate_upload(path, 50 * MB)
    assert info.format is SubmissionFormat.TORCHSCRIPT
    assert info.manifest is None and info.size == path.stat().st_size and len(info.sha256) == 64


def test_package_accepted_with_manifest(tmp_path):
    info = validate_upload(write_blend_package(tmp_path / "p.zip", batch_size=8, resolution=256), 50 * MB)
    assert info.format is SubmissionFormat.PACKAGE
    assert info.manifest == {"entry_point": "generator:Stylizer", "batch_size": 8, "resolution": 256}


def test_empty_too_large_and_not_zip(tmp_path):
    (tmp_path / "empty.pt").write_bytes(b"")
    assert rejected(tmp_path / "empty.pt") == "empty_file"
    big = write_blend_package(tmp_path / "p.zip")
    assert rejected(big, max_bytes=10) == "too_large"
    (tmp_path / "x.pt").write_bytes(b"\x80\x02}q\x00.")  # a bare pickle, never loaded
    assert rejected(tmp_path / "x.pt") == "unsupported_format"


def test_torch_save_checkpoint_is_not_torchscript(tmp_path):
    path = zip_with(tmp_path / "ckpt.pt", [("archive/data.pkl", b"x"), ("archive/version", b"3")])
    assert rejected(path) == "not_torchscript"


def test_zip_without_manifest_or_torchscript(tmp_path):
    assert rejected(zip_with(tmp_path / "a.zip", [("model.py", b"x=1")])) == "unsupported_format"


@pytest.mark.parametrize("name", ["../evil.py", "/etc/evil.py", "a/../../evil.py", "C:/evil.py", "a\\..\\evil.py"])
def test_zip_slip_rejected(tmp_path, name):
    path = zip_with(tmp_path / "p.zip", [("stylearena.toml", b'entry_point = "m:f"\n'), ("m.py", b""), (name, b"x")])
    assert rejected(path) == "unsafe_path"


def test_symlink_entry_rejected(tmp_path):
    link = zipfile.ZipInfo("weights.pt")
    link.create_system = 3
    link.external_attr = (stat.S_IFLNK | 0o777) << 16
    path = zip_with(tmp_path / "p.zip", [("stylearena.toml", b'entry_point = "m:f"\n'), ("m.py", b""), (link, b"/etc/passwd")])
    assert rejected(path) == "symlink_entry"


def test_special_entry_rejected(tmp_path):
    fifo = zipfile.ZipInfo("pipe")
    fifo.create_system = 3
    fifo.external_attr = (stat.S_IFIFO | 0o644) << 16
    path = zip_with(tmp_path / "p.zip", [("stylearena.toml", b'entry_point = "m:f"\n'), ("m.py", b""), (fifo, b"")])
    assert rejected(path) == "special_entry"


def test_zip_bomb_rejected_by_ratio_while_streaming(tmp_path):
    path = zip_with(tmp_path / "p.zip", [("stylearena.toml", b'entry_point = "m:f"\n'), ("m.py", b""), ("zeros.bin", bytes(64 * MB))])
    assert path.stat().st_size < MB
    assert rejected(path) == "zip_bomb"


def test_declared_sizes_cannot_hide_a_bomb(tmp_path):
    """A central directory that under-declares sizes is caught: real bytes are counted."""
    path = zip_with(tmp_path / "p.zip", [("stylearena.toml", b'entry_point = "m:f"\n'), ("m.py", b""), ("zeros.bin", bytes(8 * MB))])
    data = bytearray(path.read_bytes())
    # Rewrite the declared uncompressed size of zeros.bin in the central directory to 1 byte.
    cd = data.rfind(b"PK\x01\x02", 0, data.rfind(b"zeros.bin") + 1)
    data[cd + 24:cd + 28] = (1).to_bytes(4, "little")
    path.write_bytes(bytes(data))
    assert rejected(path) in {"bad_zip", "zip_bomb"}


def test_total_uncompressed_and_entry_count_caps(tmp_path):
    files = {f"w{i}.bin": bytes(range(256)) * 4096 for i in range(4)}  # 1 MiB each, barely compressible pattern
    path = write_package(tmp_path / "p.zip", {"m.py": "", **files}, {"entry_point": "m:f"})
    assert rejected(path, limits=ZipLimits(max_total_uncompressed=3 * MB, max_ratio=10_000)) == "too_large_uncompressed"
    assert rejected(path, limits=ZipLimits(max_entries=3)) == "too_many_entries"


def test_duplicate_and_encrypted_entries(tmp_path):
    buf = tmp_path / "dup.zip"
    with pytest.warns(UserWarning, match="Duplicate name"):
        zip_with(buf, [("stylearena.toml", b'entry_point = "m:f"\n'), ("m.py", b""), ("m.py", b"")])
    assert rejected(buf) == "duplicate_entry"
    enc = zip_with(tmp_path / "enc.zip", [("stylearena.toml", b'entry_point = "m:f"\n'), ("m.py", b"")])
    data = bytearray(enc.read_bytes())
    cd = data.rfind(b"PK\x01\x02")  # the last central-directory record (m.py): set "encrypted"
    data[cd + 8] |= 0x1
    enc.write_bytes(bytes(data))
    assert rejected(tmp_path / "enc.zip") == "encrypted_entry"


@pytest.mark.parametrize(
    "manifest, code",
    [
        ('entry_point = "m"', "manifest_invalid"),
        ('entry_point = "m:f"\nbatch_size = 0', "manifest_invalid"),
        ('entry_point = "m:f"\nbatch_size = true', "manifest_invalid"),
        ('entry_point = "m:f"\nresolution = 99999', "manifest_invalid"),
        ('entry_point = "m:f"\nentrypoint = "x"', "manifest_invalid"),
        ('entry_point = = "m:f"', "manifest_invalid"),
        ('entry_point = "other:f"', "entry_point_missing"),
    ],
)
def test_manifest_validation(tmp_path, manifest, code):
    path = zip_with(tmp_path / "p.zip", [("stylearena.toml", manifest.encode()), ("m.py", b"")])
    assert rejected(path) == code


def test_entry_point_may_be_a_package_module(tmp_path):
    path = zip_with(tmp_path / "p.zip", [("stylearena.toml", b'entry_point = "pkg.model:Net"\n'), ("pkg/__init__.py", b""), ("pkg/model/__init__.py", b"")])
    assert validate_upload(path, 50 * MB).manifest["entry_point"] == "pkg.model:Net"
