"""`stylearena worker`, `stylearena reconcile` and `stylearena rescore`: running the pipeline."""
from __future__ import annotations

import logging
import sys

import click
import redis.exceptions

from arena.cli.common import cli_session, echo_json, get_settings
from arena.cli.errors import arena_errors


@click.command("worker")
@click.option("--burst", is_flag=True, help="Quit once the queue is empty (for scripts and tests).")
@click.option("--name", help="Worker name (default: host.pid).")
@click.option("--queued-grace", type=float, default=60.0, show_default=True,
              help="Seconds a queued evaluation may be missing from Redis before it is re-delivered.")
def worker_cmd(burst: bool, name: str | None, queued_grace: float) -> None:
    """Start an evaluation worker: preload the metrics once, run jobs, reconcile when idle."""
    from evaluator.worker import start_worker  # noqa: PLC0415 - loads torch; other commands need not

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    settings = get_settings()
    try:
        start_worker(settings, burst=burst, name=name, queued_grace_s=queued_grace)
    except (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError) as exc:
        raise click.ClickException(f"Cannot reach Redis at {settings.redis_url}: {exc}. "
                                   "Start it with `stylearena services start redis`.") from None


@click.command("reconcile")
@click.option("--queued-grace", type=float, default=60.0, show_default=True,
              help="Seconds a queued evaluation may be missing from Redis before it is re-delivered.")
@click.option("--no-sweep", is_flag=True, help="Do not remove sandbox containers past their deadline.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
def reconcile_cmd(queued_grace: float, no_sweep: bool, as_json: bool) -> None:
    """Re-queue evaluations of dead workers, re-deliver ones lost by Redis, sweep containers."""
    from arena.core.db import make_engine, make_session_factory  # noqa: PLC0415
    from evaluator.reconciler import reconcile  # noqa: PLC0415

    settings = get_settings()
    engine = make_engine(settings.database_url)
    try:
        report = reconcile(settings, make_session_factory(engine), queued_grace_s=queued_grace,
                           sweep_containers=not no_sweep)
    finally:
        engine.dispose()
    if as_json:
        echo_json(report.to_dict())
        return
    if report.skipped:
        click.echo("another host is running a reconcile pass right now; nothing done (try again shortly)")
        return
    click.echo(f"re-queued {len(report.requeued)}, failed {len(report.failed)}, "
               f"re-delivered {len(report.redelivered)}, containers killed {report.containers_killed}, "
               f"swept {report.containers_swept}")
    if not report.redis_available:
        click.echo("warning: Redis unavailable; queued evaluations wait for the next pass", err=True)
    if not report.docker_available:
        click.echo("warning: Docker unavailable; containers were not cleaned up", err=True)


@click.command("rescore")
@click.argument("slug")
@click.option("--dataset-version", "dataset_ref", help="Dataset version id or sha256 prefix (default: current hidden).")
@click.option("--scorer-version", help="Scorer id, or 'installed' for the scorer the installed weights make "
                                        "(default: the competition's current one).")
@click.option("--dry-run", is_flag=True, help="Show what would be evaluated; change nothing.")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@click.option("--json", "as_json", is_flag=True, help="Print the plan as JSON.")
def rescore_cmd(slug: str, dataset_ref: str | None, scorer_version: str | None, dry_run: bool, yes: bool,
                as_json: bool) -> None:
    """Evaluate every submission of SLUG on another dataset and/or scorer version (adds rows only)."""
    from arena.core.target import EvaluationTarget  # noqa: PLC0415
    from evaluator.scorer import resolve_scorer  # noqa: PLC0415
    from arena.services.publishing import find_version  # noqa: PLC0415
    from arena.services.competitions import get_competition  # noqa: PLC0415
    from arena.services.audit import cli_actor  # noqa: PLC0415
    from arena.services.rescore import apply_rescore, plan_rescore  # noqa: PLC0415

    settings = get_settings()
    with arena_errors(), cli_session(settings) as session:
        competition = get_competition(session, slug)
        dataset = find_version(session, dataset_ref) if dataset_ref else None
        plan = plan_rescore(session, settings, competition, dataset,
                            resolve_scorer(scorer_version, settings.resolved_weights_dir))
        if as_json:
            echo_json(plan.to_dict())
        else:
            click.echo(f"rescore '{slug}' on dataset {plan.dataset_sha256[:12]} / scorer {plan.scorer_version}: "
                       f"{len(plan.items)} to evaluate ({plan.reruns} re-run the generator, "
                       f"{plan.reuses} from stored outputs); {plan.already_evaluated} already evaluated, "
                       f"{plan.pending} pending (queued or running there already), "
                       f"{plan.disqualified} disqualified skipped")
        if dry_run or not plan.items:
            return
        if not yes and not click.confirm("Create and enqueue these evaluations?", err=True):
            raise click.Abort()
        if sys.stderr.isatty():
            with click.progressbar(length=len(plan.items), label="enqueue", file=sys.stderr) as bar:
                ids = apply_rescore(session, settings, plan, progress=bar.update, actor=cli_actor())
        else:  # no bar (nor its bare label) in a log file
            ids = apply_rescore(session, settings, plan, actor=cli_actor())
        click.echo(f"enqueued {len(ids)} evaluation(s)")
        if not EvaluationTarget.of(competition).matches(plan.dataset_version_id, plan.scorer_version):
            # The board keeps showing the current versions until the organizer switches, so
            # that visitors never see a half-rescored leaderboard.
            click.echo(f"the leaderboard still shows the current versions; once these are scored, switch with: "
                       f"stylearena competition configure {slug} --hidden-dataset {plan.dataset_version_id} "
                       f"--scorer-version {plan.scorer_version}")


def register(cli: click.Group) -> None:
    """Attach this module's commands to the top-level group."""
    cli.add_command(worker_cmd)
    cli.add_command(reconcile_cmd)
    # rescore_cmd is attached as `rescore run` (and `rescore SLUG`) by arena.cli.rescore_cmd.
