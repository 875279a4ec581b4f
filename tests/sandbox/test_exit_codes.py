"""One table of harness exit codes, checked from both sides: the harness and supervisor raise
only codes it lists, and the runner maps each to an error on the side of the fault it names."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

from sandbox.errors import GeneratorCrashed, HarnessFault, InvalidOutput, SandboxError
from sandbox.harness import exit_codes
from sandbox.harness.supervisor import Status, final_code
from sandbox.image import HARNESS_DIR
from sandbox.runner import failure_of

HARNESS_SOURCES = {name: (HARNESS_DIR / name).read_text() for name in ("harness.py", "supervisor.py")}


def report_with(code: str) -> dict:
    return {"status": "error", "error": {"code": code, "message": "detail"}}


@pytest.mark.parametrize("row", exit_codes.TABLE.values(), ids=lambda row: row.name)
def test_every_exit_code_maps_to_the_fault_side_the_table_names(row):
    for error_code in sorted(row.error_codes) or [""]:
        error = failure_of(row.value, report_with(error_code), log="log")
        if row.fault == exit_codes.NO_FAULT:
            assert error is None
            continue
        assert isinstance(error, SandboxError)
        assert error.platform_fault == (row.fault == exit_codes.PLATFORM), (row, error)
        assert error.log == "log"


def test_exit_2_is_a_platform_fault_not_the_participants():
    error = failure_of(exit_codes.BAD_INPUTS, report_with("bad_inputs"), log="")
    assert isinstance(error, HarnessFault) and error.platform_fault
    assert error.code == "harness_bad_inputs" and "detail" in error.message
    assert exit_codes.BAD_INPUTS == 2  # argparse's usage-error exit lands here too


@pytest.mark.parametrize("code", sorted(exit_codes.TABLE[exit_codes.CONTRACT].error_codes))
def test_contract_codes_are_invalid_output(code):
    error = failure_of(exit_codes.CONTRACT, report_with(code), log="")
    assert isinstance(error, InvalidOutput) and not error.platform_fault
    assert error.code == ("too_large" if code == "output_write_failed" else code)


def test_a_tampered_report_cannot_pick_another_fault_side():
    # The report is participant-writable: only the exit code decides whose fault it is.
    assert not failure_of(exit_codes.CONTRACT, report_with("harness_bad_inputs"), log="").platform_fault
    assert failure_of(exit_codes.CONTRACT, report_with("docker_unavailable"), log="").code == "invalid_output"
    assert not failure_of(exit_codes.GENERATOR_ERROR, report_with("bad_inputs"), log="").platform_fault


@pytest.mark.parametrize("code", [1, 3, 9, 42, 127, 137, 139, 255])
def test_codes_outside_the_table_are_participant_crashes(code):
    error = failure_of(code, {}, log="")
    assert isinstance(error, GeneratorCrashed) and not error.platform_fault
    assert exit_codes.fault_of(code) == exit_codes.PARTICIPANT


def test_a_platform_code_after_participant_code_ran_is_not_believed():
    assert exit_codes.settle(exit_codes.BAD_INPUTS, participant_ran=False) == exit_codes.BAD_INPUTS
    assert exit_codes.settle(exit_codes.BAD_INPUTS, participant_ran=True) == exit_codes.ABANDONED
    for code in (exit_codes.OK, exit_codes.LOAD_FAILED, exit_codes.CONTRACT, 137):
        assert exit_codes.settle(code, participant_ran=True) == code


def test_supervisor_reads_the_harness_status_and_settles_the_code():
    status = Status()
    status.feed(b"P\nX1")
    status.feed(b"2\nX0\n")  # the first complete report wins; a later (forged) one is ignored
    assert status.participant_ran and status.code == exit_codes.CONTRACT
    assert final_code(status, returncode=-9) == exit_codes.CONTRACT  # killed by the sweep, as it should be

    forged = Status()
    forged.feed(b"P\nX2\n")  # participant code wrote a platform code into the pipe
    assert final_code(forged, returncode=-9) == exit_codes.ABANDONED

    before = Status()  # argparse error or a crash before the generator was loaded
    assert final_code(before, returncode=2) == exit_codes.BAD_INPUTS
    assert final_code(before, returncode=1) == exit_codes.BAD_INPUTS

    ended = Status()
    ended.feed(b"P\n")
    assert final_code(ended, returncode=0) == exit_codes.ABANDONED  # os._exit(0) inside the generator
    assert final_code(ended, returncode=-9) == exit_codes.SIGNAL_BASE + 9  # e.g. OOM: the runner checks


def _harness_failures() -> list[tuple[str, str]]:
    """(exit code name, error code) of every ``HarnessFailure(exit_codes.X, "code", ...)`` in harness.py."""
    found = []
    for node in ast.walk(ast.parse(HARNESS_SOURCES["harness.py"])):
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "HarnessFailure":
            exit_arg, code_arg = node.args[:2]
            name = exit_arg.attr if isinstance(exit_arg, ast.Attribute) else None
            if name is None:  # a local alias such as ``contract = exit_codes.CONTRACT``
                name = "CONTRACT" if getattr(exit_arg, "id", "") == "contract" else None
            assert name is not None, ast.dump(exit_arg)
            found.append((name, code_arg.value))
    return found


def test_the_harness_raises_only_codes_the_table_lists():
    failures = _harness_failures()
    assert {name for name, _ in failures} >= {"BAD_INPUTS", "LOAD_FAILED", "GENERATOR_ERROR", "CONTRACT"}
    for name, error_code in failures:
        assert error_code in exit_codes.TABLE[getattr(exit_codes, name)].error_codes, (name, error_code)
    raised_contract_codes = {code for name, code in failures if name == "CONTRACT"}
    assert raised_contract_codes == exit_codes.TABLE[exit_codes.CONTRACT].error_codes


@pytest.mark.parametrize("name", sorted(HARNESS_SOURCES))
def test_harness_scripts_use_only_names_the_table_defines(name):
    for node in ast.walk(ast.parse(HARNESS_SOURCES[name])):
        if isinstance(node, ast.Attribute) and getattr(node.value, "id", None) == "exit_codes":
            assert hasattr(exit_codes, node.attr), f"{name}: exit_codes.{node.attr}"


def test_the_table_module_is_standard_library_only_and_travels_with_the_harness():
    tree = ast.parse(Path(exit_codes.__file__).read_text())
    imported = {alias.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    imported |= {node.module.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module}
    assert imported <= {"__future__", "dataclasses"}
    # The very file the image recipe copies beside harness.py (sandbox.image globs HARNESS_DIR/*.py).
    assert Path(exit_codes.__file__).resolve().parent == HARNESS_DIR
