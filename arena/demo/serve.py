"""Serving the demo: the web site in the foreground, one evaluation worker beside it.

A demo whose uploads sit in "queued" forever is not a living competition, so `stylearena
demo` keeps a worker running for as long as the site runs and stops both together (Ctrl-C
or SIGTERM). The worker's log goes to a file so the terminal shows the site's.
"""
from __future__ import annotations

import os
import signal
import subprocess
from pathlib import Path
from typing import Callable

from arena.demo.orchestrate import worker_argv
from arena.core.settings import Settings

Log = Callable[[str], None]
STOP_GRACE_S = 30


def _stop(proc: subprocess.Popen, name: str, log: Log) -> None:
    """SIGTERM (warm shutdown: a running evaluation finishes or is re-queued), then SIGKILL."""
    if proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(STOP_GRACE_S)
    except subprocess.TimeoutExpired:
        log(f"{name} did not stop within {STOP_GRACE_S}s; killing it")
        proc.kill()
        proc.wait()


def serve_with_worker(settings: Settings, site_argv: list[str], worker_log: Path, log: Log = print) -> int:
    """Run the site until it exits or this process is asked to stop; returns the site's status."""
    env = {**os.environ, **settings.to_env()}
    worker_log.parent.mkdir(parents=True, exist_ok=True)
    with worker_log.open("ab") as sink:
        # Own sessions: a terminal's Ctrl-C reaches only this process, which stops the two
        # children in order (the site first, so no upload is accepted without a worker).
        worker = subprocess.Popen(worker_argv(), env=env, stdout=sink, stderr=subprocess.STDOUT,
                                  start_new_session=True)
        site = subprocess.Popen(site_argv, env=env, start_new_session=True)
        log(f"(a worker scores new uploads; its log: {worker_log}. Ctrl-C stops the site and the worker)")

        def request_stop(signum, frame) -> None:
            raise KeyboardInterrupt

        previous = signal.signal(signal.SIGTERM, request_stop)
        try:
            return site.wait()
        except KeyboardInterrupt:
            log("stopping the site and the worker...")
            return 0
        finally:
            signal.signal(signal.SIGTERM, previous)
            _stop(site, "the site", log)
            _stop(worker, "the worker", log)
