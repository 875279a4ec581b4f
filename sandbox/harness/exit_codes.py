"""The harness's exit codes and whose fault each is: the one table the harness and the runner share.

Standard library only and free of project imports: it is copied into the sandbox image
beside ``harness.py`` and ``supervisor.py`` (which run with ``python3 -I`` and load it from
their own folder), and the host's runner imports it as ``sandbox.harness.exit_codes``.

The exit code the runner sees is the supervisor's (see ``supervisor.py``): it passes the
harness's own code through, except that a code claiming a platform fault is trusted only
while no participant code has run yet (``settle``).
"""
from __future__ import annotations

from dataclasses import dataclass

NO_FAULT = "none"
PLATFORM = "platform"
PARTICIPANT = "participant"

OK = 0
BAD_INPUTS = 2  # also argparse's exit code for a bad command line
LOAD_FAILED = 10
GENERATOR_ERROR = 11
CONTRACT = 12
LINGERING = 13
ABANDONED = 14
# A harness killed by signal N is reported as 128 + N (the shell's convention): 137 is SIGKILL.
SIGNAL_BASE = 128


@dataclass(frozen=True)
class ExitCode:
    """One row of the table: the number, whose fault it is, and the error codes it may carry."""

    value: int
    name: str
    fault: str
    meaning: str
    # The codes report.json["error"]["code"] may hold with this exit (empty: none is read).
    error_codes: frozenset[str] = frozenset()


TABLE: dict[int, ExitCode] = {
    row.value: row
    for row in (
        ExitCode(OK, "ok", NO_FAULT, "every pair was run and written"),
        ExitCode(BAD_INPUTS, "bad_inputs", PLATFORM,
                 "bad harness arguments, inputs or image, found before any participant code ran",
                 frozenset({"bad_inputs"})),
        ExitCode(LOAD_FAILED, "load_failed", PARTICIPANT, "the generator could not be loaded",
                 frozenset({"load_failed"})),
        ExitCode(GENERATOR_ERROR, "generator_error", PARTICIPANT, "the generator raised while running",
                 frozenset({"generator_error"})),
        ExitCode(CONTRACT, "contract", PARTICIPANT, "the generator broke the output contract (sandbox/contract.md)",
                 frozenset({"bad_output_type", "bad_output_shape", "non_finite", "out_of_range",
                            "output_write_failed"})),
        ExitCode(LINGERING, "lingering_processes", PARTICIPANT,
                 "processes the generator started could not be stopped when the harness finished"),
        ExitCode(ABANDONED, "abandoned", PARTICIPANT,
                 "the harness ended without finishing (the generator exited or killed it, or claimed a "
                 "platform fault after its code had run)"),
    )
}


def fault_of(code: int) -> str:
    """Whose fault an exit code is; codes outside the table (signals, a generator's own exit) are the participant's."""
    row = TABLE.get(code)
    return row.fault if row is not None else PARTICIPANT


def settle(code: int, participant_ran: bool) -> int:
    """The exit code to report: a platform fault claimed after participant code ran is not believed.

    Participant code shares the harness's process and can exit it with any code, so only the
    harness's own checks before the generator is loaded may blame the platform.
    """
    if participant_ran and fault_of(code) == PLATFORM:
        return ABANDONED
    return code
