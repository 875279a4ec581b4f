"""Removing sandbox containers nobody will wait for any more.

A worker that dies mid-run leaves its container behind (dockerd owns it, not the worker);
every sandbox container carries a ``stylearena.deadline`` label (unix time) so any process
can find and remove the expired ones.
"""
from __future__ import annotations

import time

from docker.errors import APIError, NotFound

from sandbox import container as spec
from sandbox.engine import connect

_FILTER_KEYS = {
    "evaluation_id": spec.LABEL_EVALUATION,
    "submission_id": spec.LABEL_SUBMISSION,
    "attempt": spec.LABEL_ATTEMPT,
}


def sweep_expired(docker_host: str, now: float | None = None) -> int:
    """Remove sandbox containers whose deadline label has passed; return how many.

    Raises:
        SandboxUnavailable: the Docker Engine cannot be reached.
    """
    client = connect(docker_host)
    now = time.time() if now is None else now
    removed = 0
    for container in client.containers.list(all=True, filters={"label": [f"{spec.LABEL_SANDBOX}=1"]}):
        raw = container.labels.get(spec.LABEL_DEADLINE, "")
        try:
            deadline = float(raw)
        except ValueError:
            deadline = 0.0  # a sandbox without a readable deadline is expired by definition
        if deadline < now and _remove(container):
            removed += 1
    return removed


def kill_labelled(docker_host: str, **label_filters: object) -> int:
    """Remove the sandbox containers matching all filters; return how many.

    Args:
        docker_host: the Docker Engine.
        label_filters: ``evaluation_id``, ``submission_id`` and/or ``attempt`` (or any full
            ``stylearena.*`` label name given as a keyword with dots replaced by ``__``).

    Raises:
        ValueError: no filter was given (that would remove every sandbox).
        SandboxUnavailable: the Docker Engine cannot be reached.
    """
    if not label_filters:
        raise ValueError("kill_labelled needs at least one label filter")
    labels = [f"{spec.LABEL_SANDBOX}=1"]
    for key, value in label_filters.items():
        label = _FILTER_KEYS.get(key, key.replace("__", "."))
        labels.append(f"{label}={value}")
    client = connect(docker_host)
    return sum(1 for c in client.containers.list(all=True, filters={"label": labels}) if _remove(c))


def _remove(container) -> bool:
    try:
        container.remove(force=True, v=True)
    except NotFound:
        return False  # someone else removed it first
    except APIError:
        return False  # removal already in progress; the next sweep retries
    return True
