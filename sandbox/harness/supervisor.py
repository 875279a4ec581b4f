"""StyleArena sandbox supervisor: runs the harness, then stops every process of the sandbox user.

Baked into the sandbox image at /opt/stylearena/supervisor.py beside harness.py and
exit_codes.py; the runner ``exec``s it as the sandbox user. Standard library only.

    python3 -I supervisor.py --uid 10001 -- <harness arguments>

Why it exists: once this exec has ended the runner copies /out out of the container. If the
harness simply exited, anything the generator left running (a forked child, a daemon)
could rewrite /out between that exit and the copy-out. So the harness does not exit when it
is done: it writes its exit code to a pipe (``--status-fd``) and waits. The supervisor then
sends SIGKILL to every process of its own uid in one ``kill(-1)`` (every process it may
signal except itself and the container's PID 1, which runs as another uid), the harness
among them, and re-reads /proc until none of that uid is left (a zombie cannot write)
before it exits with the harness's code. That kill is the instant /out is fixed at: a
process waiting for the harness to end dies with it, and whatever was written before it is
no different from writes of participant code inside the harness, which the host validates
as hostile anyway.

Freezing was the alternative: a paused container (``docker pause``) cannot be ``exec``'d
into for the copy-out, and the cgroup freezer is not writable from inside.

The generator runs as the same uid and can signal this process, so the supervisor never
loads participant code, ignores every signal it can, and makes itself non-dumpable (no
ptrace, no /proc/<pid>/mem); the generator can at most kill it, which ends the exec with a
signal's code (a participant fault), never with 0.
"""
from __future__ import annotations

import argparse
import os
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

if __package__:  # imported on the host as sandbox.harness.supervisor (tests)
    from . import exit_codes
else:  # run as a script with -I: its own folder is not on sys.path
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import exit_codes

HARNESS = Path(__file__).resolve().parent / "harness.py"
SWEEP_ROUNDS = 200
SWEEP_PAUSE_S = 0.01
MAX_STATUS_BYTES = 4096
PR_SET_DUMPABLE = 4


def say(message: str) -> None:
    print(f"[stylearena] {message}", flush=True)


def make_undumpable() -> None:
    """No process of the same uid may ptrace this one or read and write its memory."""
    import ctypes

    if ctypes.CDLL(None, use_errno=True).prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_DUMPABLE, 0) failed")


def ignore_signals() -> None:
    """Ignore whatever can be ignored; SIGCHLD stays, or the harness could not be waited for."""
    for number in range(1, signal.NSIG):
        if number in (signal.SIGKILL, signal.SIGSTOP, signal.SIGCHLD):
            continue
        try:
            signal.signal(number, signal.SIG_IGN)
        except (OSError, ValueError):
            pass  # numbers the C library reserves (e.g. for threads)


class Status:
    """What the harness reported over its pipe: ``P`` when participant code is about to run, ``X<code>`` at its end."""

    def __init__(self) -> None:
        self.participant_ran = False
        self.code: int | None = None
        self._pending = b""

    def feed(self, data: bytes) -> None:
        self._pending = (self._pending + data)[-MAX_STATUS_BYTES:]
        *lines, self._pending = self._pending.split(b"\n")
        for line in lines:
            if line == b"P":
                self.participant_ran = True
            elif line.startswith(b"X") and line[1:].isdigit() and self.code is None:
                self.code = int(line[1:])


def wait_for_harness(process: subprocess.Popen, status_fd: int) -> Status:
    """Read the harness's status until it reports its end or exits.

    The pipe's write end is inherited by whatever the generator forks, so EOF cannot be
    waited for; the harness's own exit is polled beside it.
    """
    status = Status()
    while status.code is None and process.poll() is None:
        readable, _, _ = select.select([status_fd], [], [], 0.05)
        if readable:
            data = os.read(status_fd, MAX_STATUS_BYTES)
            if data:
                status.feed(data)
            else:
                process.wait()
    while status.code is None and select.select([status_fd], [], [], 0)[0]:  # a report racing the exit
        data = os.read(status_fd, MAX_STATUS_BYTES)
        if not data:
            break
        status.feed(data)
    return status


def own_processes(uid: int) -> list[int]:
    """Live processes of ``uid`` other than this one (any thread not a zombie counts)."""
    me, alive = os.getpid(), []
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit() or int(entry.name) == me:
            continue
        try:
            uids = _status_uids(entry.path)
            if str(uid) in uids and _any_thread_alive(entry.path):
                alive.append(int(entry.name))
        except (FileNotFoundError, ProcessLookupError):
            continue  # gone while we looked
    return alive


def _status_uids(proc_dir: str) -> list[str]:
    # Read from status, not the directory's owner: a non-dumpable process's /proc entry is root's.
    with open(f"{proc_dir}/status", encoding="utf-8", errors="replace") as fh:
        for line in fh:
            if line.startswith("Uid:"):
                return line.split()[1:]
    return []


def _any_thread_alive(proc_dir: str) -> bool:
    for task in os.scandir(f"{proc_dir}/task"):
        try:
            with open(f"{task.path}/stat", encoding="utf-8", errors="replace") as fh:
                state = fh.read().rpartition(")")[2].split()[0]
        except (FileNotFoundError, ProcessLookupError, IndexError):
            continue
        if state not in ("Z", "X"):
            return True
    return False


def sweep(uid: int) -> list[int]:
    """SIGKILL every other process of ``uid`` until /proc shows none; return any that survived."""
    left: list[int] = []
    for _ in range(SWEEP_ROUNDS):
        try:
            os.kill(-1, signal.SIGKILL)
        except ProcessLookupError:
            pass  # nothing left to signal
        left = own_processes(uid)
        if not left:
            return []
        time.sleep(SWEEP_PAUSE_S)
    return left


def final_code(status: Status, returncode: int | None) -> int:
    """The exit code the runner sees (see exit_codes.py for the table)."""
    if status.code is not None:
        code = status.code
    elif not status.participant_ran:
        code = exit_codes.BAD_INPUTS  # argparse, or a crash before any participant code ran
    elif returncode is not None and returncode < 0:
        code = exit_codes.SIGNAL_BASE - returncode  # e.g. 137: killed (the runner checks for OOM)
    else:
        code = exit_codes.ABANDONED  # participant code ended the process before the harness finished
    return exit_codes.settle(code, status.participant_ran)


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--uid", required=True, type=int, help="the sandbox user's uid (a guard: never root)")
    parser.add_argument("harness_args", nargs=argparse.REMAINDER, help="-- then the harness's arguments")
    args = parser.parse_args(argv)
    if args.harness_args[:1] == ["--"]:
        args.harness_args = args.harness_args[1:]
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    # kill(-1) signals every process of the caller's uid: only ever as the sandbox user.
    if args.uid == 0 or os.getuid() != args.uid:
        say(f"refusing to supervise: running as uid {os.getuid()}, expected the sandbox uid {args.uid}")
        return exit_codes.BAD_INPUTS
    try:
        make_undumpable()  # before the harness exists; execve gives the harness its own, dumpable state
    except (ImportError, OSError, AttributeError) as exc:  # a broken image: the platform's to fix
        say(f"cannot protect the supervisor: {exc}")
        return exit_codes.BAD_INPUTS
    read_fd, write_fd = os.pipe()
    process = subprocess.Popen(
        [sys.executable, "-u", "-I", str(HARNESS), *args.harness_args, "--status-fd", str(write_fd)],
        pass_fds=(write_fd,), start_new_session=True,
    )
    os.close(write_fd)
    # After the spawn, so the harness starts with default dispositions; no participant code
    # runs before the harness has loaded torch and said ``P``.
    ignore_signals()
    status = wait_for_harness(process, read_fd)
    survivors = sweep(os.getuid())
    process.wait()  # reaped after the sweep: the harness was killed in it unless it had exited
    code = final_code(status, process.returncode)
    if survivors:
        say(f"{len(survivors)} process(es) of the generator could not be stopped")
        code = exit_codes.LINGERING
    elif code == exit_codes.ABANDONED:
        say(f"the harness ended before it finished (exit status {process.returncode}): "
            "the generator's code exited or killed it")
    return code


if __name__ == "__main__":
    sys.exit(main())
