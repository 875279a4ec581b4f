"""torch.export (.pt2) uploads on the host: told apart from packages and TorchScript, schema checked, stored."""
from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest
import sqlalchemy as sa

from arena.core.db import make_engine
from arena.core.enums import SubmissionFormat
from sandbox import environment
from sandbox.errors import UploadRejected
from sandbox.examples import write_blend_package, write_export_generator, write_torchscript_generator
from sandbox.upload import validate_upload

MB = 1 << 20


def rejected(path: Path) -> UploadRejected:
    with pytest.raises(UploadRejected) as info:
        validate_upload(path, 50 * MB)
    return info.value


def rewrite(source: Path, dest: Path, change) -> Path:
    """Copy a zip, passing each entry's (name, bytes) through ``change`` (None drops it)."""
    with zipfile.ZipFile(source) as zin, zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            changed = change(info.filename, zin.read(info))
            if changed is not None:
                zout.writestr(changed[0], changed[1])
    return dest


def test_the_three_zip_formats_are_told_apart(tmp_path):
    # All three are zip archives with the same magic; the contents decide.
    pt2 = write_export_generator(tmp_path / "model.pt2")
    assert pt2.read_bytes()[:4] == b"PK\x03\x04"
    assert validate_upload(pt2, 50 * MB).format is SubmissionFormat.EXPORT
    assert validate_upload(write_torchscript_generator(tmp_path / "m.pt"), 50 * MB).format is SubmissionFormat.TORCHSCRIPT
    assert validate_upload(write_blend_package(tmp_path / "p.zip"), 50 * MB).format is SubmissionFormat.PACKAGE
    # The name does not matter: a .pt2 renamed .zip is still a torch.export program.
    renamed = tmp_path / "model.zip"
    renamed.write_bytes(pt2.read_bytes())
    assert validate_upload(renamed, 50 * MB).format is SubmissionFormat.EXPORT


def test_a_package_that_ships_a_pt2_is_a_package(tmp_path):
    # A package may carry an exported program as its weights; the root manifest decides.
    pt2 = write_export_generator(tmp_path / "model.pt2")
    path = tmp_path / "pkg.zip"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("stylearena.toml", 'entry_point = "generator:Stylizer"\n')
        zf.writestr("generator.py", "class Stylizer: pass\n")
        zf.write(pt2, "weights/model.pt2")
    assert validate_upload(path, 50 * MB).format is SubmissionFormat.PACKAGE


def test_another_schema_major_is_refused_naming_both_torch_versions(tmp_path):
    pt2 = write_export_generator(tmp_path / "model.pt2")

    def newer(name, data):
        if name.endswith(".json") and "/models/" in name:
            program = json.loads(data)
            program["schema_version"] = {"major": environment.EXPORT_SCHEMA_MAJOR + 1, "minor": 0}
            program["torch_version"] = "9.9.0"
            return name, json.dumps(program)
        return name, data

    error = rejected(rewrite(pt2, tmp_path / "newer.pt2", newer))
    assert error.code == "export_version"
    sandbox_torch = environment.torch_version()
    assert "9.9.0" in error.message and sandbox_torch in error.message
    assert f"{environment.EXPORT_SCHEMA_MAJOR + 1}.0" in error.message
    assert f"torch=={sandbox_torch.split('+')[0]}" in error.message  # what to do


def test_a_newer_minor_schema_is_accepted(tmp_path):
    pt2 = write_export_generator(tmp_path / "model.pt2")

    def minor(name, data):
        if name.endswith(".json") and "/models/" in name:
            program = json.loads(data)
            program["schema_version"]["minor"] += 5
            return name, json.dumps(program)
        return name, data

    assert validate_upload(rewrite(pt2, tmp_path / "minor.pt2", minor), 50 * MB).format is SubmissionFormat.EXPORT


def test_broken_and_compiled_pt2_are_refused_with_what_to_do(tmp_path):
    pt2 = write_export_generator(tmp_path / "model.pt2")
    no_graph = rewrite(pt2, tmp_path / "nograph.pt2", lambda n, d: None if "/models/" in n else (n, d))
    assert rejected(no_graph).code == "export_invalid"
    garbage = rewrite(pt2, tmp_path / "garbage.pt2", lambda n, d: (n, b"{not json") if "/models/" in n else (n, d))
    error = rejected(garbage)
    assert error.code == "export_invalid" and "torch.export.save" in error.message
    top = zipfile.ZipFile(pt2).namelist()[0].split("/")[0]
    aoti = rewrite(pt2, tmp_path / "aoti.pt2", lambda n, d: (n, d))
    with zipfile.ZipFile(aoti, "a") as zf:
        zf.writestr(f"{top}/data/aotinductor/model/model.so", b"\x7fELF")
    error = rejected(aoti)
    assert error.code == "export_compiled" and "torch.export.export" in error.message


def test_the_database_accepts_the_export_format(db_url):
    # Migration 0008 widened the CHECK of submissions.format; it still refuses other values.
    engine = make_engine(db_url)
    try:
        checks = sa.inspect(engine).get_check_constraints("submissions")
    finally:
        engine.dispose()
    (format_check,) = [c for c in checks if "torchscript" in c["sqltext"]]
    assert "'export'" in format_check["sqltext"] and "'package'" in format_check["sqltext"]
