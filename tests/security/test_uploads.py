"""Malicious archives are rejected at upload, on the host, before anything runs."""
from __future__ import annotations

import stat
import zipfile
from pathlib import Path

import pytest

from sandbox.errors import UploadRejected
from sandbox.upload import validate_upload

MANIFEST = b'entry_point = "generator:Stylizer"\n'


def package(path: Path, extra: list[tuple[zipfile.ZipInfo | str, bytes]]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("stylearena.toml", MANIFEST)
        zf.writestr("generator.py", b"class Stylizer: pass\n")
        for info, data in extra:
            zf.writestr(info, data)
    return path


def code_of(path: Path) -> str:
    with pytest.raises(UploadRejected) as info:
        validate_upload(path, 100 << 20)
    return info.value.code


def test_zip_slip_rejected(tmp_path):
    assert code_of(package(tmp_path / "slip.zip", [("../../../../tmp/slipped.py", b"owned")])) == "unsafe_path"
    assert not Path("/tmp/slipped.py").exists()


def test_zip_bomb_rejected(tmp_path):
    bomb = package(tmp_path / "bomb.zip", [(f"layer{i}.bin", bytes(48 << 20)) for i in range(2)])
    assert bomb.stat().st_size < 1 << 20
    assert code_of(bomb) == "zip_bomb"


def test_symlink_entry_rejected(tmp_path):
    link = zipfile.ZipInfo("weights.pt")
    link.create_system = 3
    link.external_attr = (stat.S_IFLNK | 0o777) << 16
    assert code_of(package(tmp_path / "link.zip", [(link, b"/etc/shadow")])) == "symlink_entry"
