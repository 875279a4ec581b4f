"""RQ job entry points: thin, importable, top-level wrappers that take ids only."""
from __future__ import annotations

from arena.core.settings import Settings
from evaluator.attempt import AttemptOutcome, run_attempt
from evaluator.context import build_context, current_context, install_context


def run_evaluation(evaluation_id: int) -> str:
    """Run one attempt of an evaluation; returns the outcome's name (kept as the job result).

    Uses the worker's preloaded context; a process without one (an ad-hoc ``rq worker``)
    builds it from the environment once.
    """
    context = current_context()
    if context is None:
        context = build_context(Settings.from_env(), fork_safe=False)
        install_context(context)
    context.enter_job()
    outcome: AttemptOutcome = run_attempt(context, int(evaluation_id))
    return outcome.value
