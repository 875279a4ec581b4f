"""Fuzzing the collection path: whatever bytes a container's /out holds, only SandboxErrors escape."""
from __future__ import annotations

from pathlib import Path

import pytest
from collection_fuzz import archives, collect, make_inputs, report_bytes
from hypothesis import HealthCheck, given, settings

from sandbox.errors import InvalidOutput
from sandbox.streams import parse_report

# Bounded for the suite (about 15 s for both tests here); benchmarks/fuzz_collection.py runs it longer.
FUZZ = settings(max_examples=300, deadline=None, database=None, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@pytest.fixture(scope="module")
def inputs(tmp_path_factory) -> Path:
    return make_inputs(tmp_path_factory.mktemp("fuzz") / "set")


def test_hostile_archives_raise_only_sandbox_errors(inputs):
    @FUZZ
    @given(archives)
    def check(archive: bytes) -> None:
        collect(archive, inputs)  # anything but a SandboxError fails here

    check()


@settings(max_examples=200, deadline=None, database=None, derandomize=True)
@given(report_bytes)
def test_hostile_reports_parse_to_plain_values_or_bad_report(data: bytes):
    try:
        report = parse_report(data)
    except InvalidOutput as exc:
        assert exc.code == "bad_report"
        return
    _assert_plain(report)


def _assert_plain(value) -> None:
    """Only what a JSON column and PostgreSQL text hold: finite bounded numbers, clean text."""
    if isinstance(value, dict):
        for key, item in value.items():
            assert isinstance(key, str)
            _assert_plain(item)
    elif isinstance(value, list):
        for item in value:
            _assert_plain(item)
    elif isinstance(value, str):
        assert "\0" not in value
        value.encode("utf-8")  # no lone surrogates
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        assert abs(value) <= 2**53
    else:
        assert value is None or isinstance(value, bool), value
