"""Bounded log capture and the output-archive extraction (participant-controlled bytes)."""
from __future__ import annotations

import io
import json
import tarfile
from pathlib import Path

import pytest

from sandbox.errors import InvalidOutput
from sandbox.streams import MAX_REPORT_BYTES, LogBuffer, extract_outputs, parse_report


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


def test_log_text_never_holds_nul(tmp_path: Path):
    log = LogBuffer(1000)
    log.feed(b"a\0b\xffc")
    assert log.text() == "a\ufffdb\ufffdc"  # PostgreSQL text cannot store NUL


def test_duplicate_outputs_are_a_participant_fault_not_an_os_error(tmp_path: Path):
    buf = make_tar([(file_info("./images/p0.png"), b"one"), (file_info("./images/p0.png"), b"two")])
    with pytest.raises(InvalidOutput) as info:
        extract_outputs(buf, tmp_path, 100)
    assert info.value.code == "extra_output" and "twice" in info.value.message


@pytest.mark.parametrize("data", [b"x" * 1100, b"not a tar at all", b"\x1f\x8b\x08\x00" + b"\0" * 600])
def test_bytes_that_are_not_a_tar_are_unreadable_output(tmp_path: Path, data: bytes):
    with pytest.raises(InvalidOutput) as info:
        extract_outputs(io.BytesIO(data), tmp_path, 100)
    assert info.value.code == "unreadable_output"


def test_names_with_a_trailing_newline_are_not_plain_names(tmp_path: Path):
    with pytest.raises(InvalidOutput) as info:
        extract_outputs(make_tar([(file_info("./images/p0.png\n"), b"x")]), tmp_path, 100)
    assert info.value.code == "extra_output" and not list(tmp_path.iterdir())


HOSTILE_REPORTS = {
    "deep nesting": b"[" * 100_000,
    "NaN": b'{"total_s": NaN}',
    "infinity": b'{"total_s": Infinity}',
    "overflowing float": b'{"total_s": 1e999}',
    "huge int": b'{"pairs_written": ' + b"9" * 5000 + b"}",
    "beyond 2**53": b'{"pairs_written": 18014398509481984}',
    "negative count": b'{"pairs_written": -1}',
    "bool as count": b'{"pairs_written": true}',
    "wrong type": b'{"status": 5}',
    "batches not a list": b'{"batches": {"index": 0}}',
    "bad batch": b'{"batches": [1]}',
    "error not an object": b'{"error": "boom"}',
    "not an object": b"[1, 2]",
    "not utf-8": b'{"status": "\xff"}',
    "not json": b"{",
    "reserved, never written": b" " * 1024,
}


@pytest.mark.parametrize("name", sorted(HOSTILE_REPORTS))
def test_hostile_reports_are_bad_report(tmp_path: Path, name: str):
    with pytest.raises(InvalidOutput) as info:
        extract_outputs(make_tar([(file_info("./report.json"), HOSTILE_REPORTS[name])]), tmp_path, 100)
    assert info.value.code == "bad_report" and "report.json" in info.value.message


def test_report_keeps_known_keys_as_plain_bounded_values():
    text = "x" * 5000 + "\0"
    report = parse_report(json.dumps({
        "status": "ok", "pairs_written": 2, "parameter_count": None, "total_s": 1.5,
        "batches": [{"index": 0, "pairs": 2, "seconds": 0.1, "extra": [1]}],
        "error": {"code": "c\0", "message": text, "trace": "dropped"}, "injected": {"a": 1},
    }).encode())
    assert report == {"status": "ok", "pairs_written": 2, "parameter_count": None, "total_s": 1.5,
                      "batches": [{"index": 0, "pairs": 2, "seconds": 0.1}],
                      "error": {"code": "c\ufffd", "message": "x" * 2000}}
    assert parse_report(b'{"error": {"message": "\\ud800"}}')["error"]["message"] == "\ufffd"


def test_report_that_is_not_a_file_or_too_big_is_bad_report(tmp_path: Path):
    folder = tarfile.TarInfo("./report.json")
    folder.type = tarfile.DIRTYPE
    with pytest.raises(InvalidOutput) as info:
        extract_outputs(make_tar([(folder, b"")]), tmp_path, 100)
    assert info.value.code == "bad_report"
    with pytest.raises(InvalidOutput) as info:
        extract_outputs(make_tar([(file_info("./report.json"), b" " * (MAX_REPORT_BYTES + 1))]), tmp_path / "b", 100)
    assert info.value.code == "bad_report"
