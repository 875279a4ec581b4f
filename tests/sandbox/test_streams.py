"""Bounded log capture and the output-archive extraction (participant-controlled bytes)."""
from __future__ import annotations

import io
import json
import tarfile
from pathlib import Path

import pytest

from sandbox.errors import InvalidOutput
from sandbox.streams import LogBuffer, extract_outputs


def test_log_buffer_keeps_head_and_tail_within_cap():
    log = LogBuffer(1000)
    log.feed(b"START" + b"a" * 600)
    for _ in range(1000):
        log.feed(b"b" * 997)
    log.feed(b"z" * 100 + b"END")
    text = log.text()
    assert text.startswith("START") and text.endswith("END")
    assert len(text) < 1100 and log.dropped == log.total - 1000 and "bytes of output dropped" in text


def test_log_buffer_small_output_is_kept_whole():
    log = LogBuffer(1000)
    log.feed(b"hello ")
    log.feed(b"world")
    assert log.text() == "hello world" and log.dropped == 0


def make_tar(members: list[tuple[tarfile.TarInfo, bytes]]) -> io.BytesIO:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for info, data in members:
            info.size = len(data) if info.isfile() else 0
            tar.addfile(info, io.BytesIO(data) if info.isfile() else None)
    buf.seek(0)
    return buf


def file_info(name: str) -> tarfile.TarInfo:
    return tarfile.TarInfo(name)


def test_extract_writes_pngs_and_parses_report(tmp_path: Path):
    report = json.dumps({"status": "ok"}).encode()
    images = tarfile.TarInfo("./images")
    images.type = tarfile.DIRTYPE
    buf = make_tar([(images, b""), (file_info("./images/p0.png"), b"png"), (file_info("./report.json"), report),
                    (file_info("./scratch.txt"), b"ignored")])
    assert extract_outputs(buf, tmp_path, 100) == {"status": "ok"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["p0.png"]


def test_extract_rejects_links_and_odd_names(tmp_path: Path):
    link = tarfile.TarInfo("./images/p0.png")
    link.type = tarfile.SYMTYPE
    link.linkname = "/etc/passwd"
    with pytest.raises(InvalidOutput) as info:
        extract_outputs(make_tar([(link, b"")]), tmp_path, 100)
    assert info.value.code == "symlink" and not list(tmp_path.iterdir())
    with pytest.raises(InvalidOutput) as info:
        extract_outputs(make_tar([(file_info("./images/../../x.png"), b"x")]), tmp_path, 100)
    assert info.value.code == "extra_output"
    with pytest.raises(InvalidOutput) as info:
        extract_outputs(make_tar([(file_info(f"./images/p{i}.png"), b"x") for i in range(5)]), tmp_path / "n", 3)
    assert info.value.code == "extra_output"
