"""Packages laid out like public repositories, and packages zipped as their folder."""
from __future__ import annotations

import zipfile

import pytest

from arena.core.enums import SubmissionFormat
from sandbox.errors import UploadRejected
from sandbox.examples import write_blend_package, write_image_set, write_repo_layout_package
from sandbox.upload import validate_upload
from sandbox.validation import validate_outputs

MB = 1 << 20


def refolded(source, dest, prefix: str, extra: dict[str, bytes] | None = None):
    """The same package with every entry moved under ``prefix`` (what zipping the folder gives)."""
    with zipfile.ZipFile(source) as zin, zipfile.ZipFile(dest, "w") as zout:
        for info in zin.infolist():
            zout.writestr(prefix + info.filename, zin.read(info))
        for name, data in (extra or {}).items():
            zout.writestr(name, data)
    return dest


def test_a_zipped_folder_is_refused_pointing_at_the_folder(tmp_path):
    package = write_blend_package(tmp_path / "p.zip")
    nested = refolded(package, tmp_path / "nested.zip", "pkg/", {"__MACOSX/pkg/._generator.py": b"x"})
    with pytest.raises(UploadRejected) as info:
        validate_upload(nested, 50 * MB)
    error = info.value
    assert error.code == "nested_package"
    assert "everything inside pkg/" in error.message and "Zip the contents, not the folder" in error.message
    assert "cd pkg && zip -r ../submission.zip ." in error.message
    deeper = refolded(package, tmp_path / "deeper.zip", "a/b/")
    with pytest.raises(UploadRejected) as info:
        validate_upload(deeper, 50 * MB)
    assert info.value.code == "nested_package" and "a/b/" in info.value.message


def test_the_repository_layout_package_is_accepted(tmp_path):
    info = validate_upload(write_repo_layout_package(tmp_path / "adain.zip"), 50 * MB)
    assert info.format is SubmissionFormat.PACKAGE and info.manifest["entry_point"] == "stylize:Stylizer"
    names = set(zipfile.ZipFile(tmp_path / "adain.zip").namelist())
    assert {"adain/net.py", "adain/function.py", "adain/models/decoder.pth", "adain/models/vgg_normalised.pth"} <= names


@pytest.mark.docker
def test_the_repository_layout_package_runs_in_the_sandbox_and_scores(runner, limits, tmp_path):
    # Relative imports, networks built at import time, weights by relative path, 0..255 inside.
    from evaluator.metrics.io import read_pairs_csv
    from evaluator.metrics.shared import shared_suite

    inputs = write_image_set(tmp_path / "set", n_pairs=3, size=(49, 35))  # odd sizes: the decoder rounds up
    package = write_repo_layout_package(tmp_path / "adain.zip")
    result = runner.run(package, SubmissionFormat.PACKAGE, inputs, tmp_path / "out", limits, {})
    validate_outputs(tmp_path / "out", inputs)
    assert result.report["status"] == "ok" and result.report["pairs_written"] == 3
    assert result.report["parameter_count"] == 3367 and [b["pairs"] for b in result.report["batches"]] == [2, 1]
    scores = shared_suite(None).score(read_pairs_csv(inputs / "pairs.csv"), tmp_path / "out",
                                      inputs / "content", inputs / "style")
    assert set(scores.per_pair) == {"p0", "p1", "p2"}
    assert all(value == value for value in scores.metrics.values())  # every metric finite
    assert all(pair["lpips"] > 0 for pair in scores.per_pair.values())  # it changed the images
