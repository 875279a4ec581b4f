"""`stylearena demo`: everything from a fresh machine to a living competition, idempotently.

Steps (each reuses what a previous run left): start Redis and Docker, migrate, build the
sandbox image if missing, build and publish the demo datasets into two competitions,
create the demo organizer and participant, build the baselines, submit each through the
real upload path (validated, stored, queued), and work the queue until they are scored.
Serving the site is the CLI's last step (it replaces the process with gunicorn).
"""
from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session

from arena.core.store.datasets import dataset_path
from arena.services.publishing import metrics_reference_stats, publish
from arena.core.db import make_engine, make_session_factory, transaction
from arena.core.datasets.board_split import DEFAULT_PUBLIC_FRACTION
from arena.demo.baselines import BaselineName
from arena.demo.finale import FINALE_SLUG, finalize_finale, submit_finalists
from arena.demo.builder import MAIN_SLUG, PORTRAIT_SLUG, DemoScale, build_demo_datasets
from arena.core.enums import EvaluationStatus, SubmissionStatus, UserRole
from arena.core.errors import NotFound
from arena.core.models import Competition, Submission, User
from arena.services.accounts import create_user
from arena.services.competitions import create_competition, get_competition
from evaluator.scorer import installed_identity
from arena.core.settings import Settings

Log = Callable[[str], None]


@dataclass(frozen=True)
class DemoLogin:
    """A demo account printed at the end of `stylearena demo` (demo machines only)."""

    username: str
    password: str
    role: UserRole


ORGANIZER = DemoLogin("demo-organizer", "organizer-demo-pass", UserRole.ORGANIZER)
PARTICIPANT = DemoLogin("demo-participant", "participant-demo-pass", UserRole.PARTICIPANT)
COMPETITIONS = {
    MAIN_SLUG: ("Paint the World",
                "Turn photographs of people, animals, machines and the deep sky into paintings.\n\n"
                "Your generator receives a content photograph and a style image and must return the "
                "photograph in that style. Ranked by **ArtFID** = (1 + LPIPS) · (1 + FID): keep the "
                "content recognisable *and* make it look like the style."),
    PORTRAIT_SLUG: ("Portrait Studio",
                    "A small portrait-flavoured benchmark: stylise faces without losing the likeness."),
}


@dataclass(frozen=True)
class DemoState:
    """What the demo set up: competitions, baseline submission ids by competition and name."""

    competitions: tuple[str, ...]
    submissions: dict[str, dict[str, int]] = field(default_factory=dict)


def _ensure_user(session: Session, login: DemoLogin) -> User:
    user = session.scalar(select(User).where(User.username == login.username))
    return user or create_user(session, login.username, login.password, role=login.role)


def _ensure_competition(session: Session, slug: str, scorer_version: str) -> Competition:
    try:
        return get_competition(session, slug)
    except NotFound:
        title, description = COMPETITIONS[slug]
        return create_competition(session, slug, title, description=description, daily_quota=5,
                                  scorer_version=scorer_version)


def publish_demo_data(settings: Settings, factory, scale: DemoScale = DemoScale.FULL, log: Log = print,
                      reference_stats=metrics_reference_stats) -> tuple[str, ...]:
    """Build the demo datasets and publish them into their competitions (idempotent)."""
    sources = settings.data_dir / "demo" / f"datasets-{scale.value}"
    sets = build_demo_datasets(sources, scale)
    slugs = tuple(dict.fromkeys(s.competition for s in sets))
    # The boards rank by the scorer the installed weights make (seeded backbones without any),
    # the same one the demo's worker loads.
    scorer = installed_identity(settings.resolved_weights_dir).id
    with transaction(factory) as session:
        for slug in slugs:
            _ensure_competition(session, slug, scorer)
        _ensure_user(session, ORGANIZER)
        _ensure_user(session, PARTICIPANT)
    for demo_set in sets:
        with transaction(factory) as session:
            # Full scale: hidden sets get a public and a private board (issue 15); the tests'
            # small set keeps one board.
            result = publish(session, settings, demo_set.path, competition_slug=demo_set.competition,
                             reference_stats=reference_stats,
                             board_fraction=DEFAULT_PUBLIC_FRACTION if scale is DemoScale.FULL else None)
            state = "published" if result.created else "already published"
            log(f"dataset {demo_set.name}: {state} ({result.version.manifest_sha256[:12]})")
    return slugs


# Baselines a visitor may try on their own photo: the copies and the identity teach nothing there.
TRY_IT_BASELINES = frozenset({BaselineName.TRAINED, BaselineName.PIXEL_ADAIN})


def submit_baselines(settings: Settings, factory, slugs: tuple[str, ...], baselines: dict[BaselineName, Path],
                     log: Log = print) -> dict[str, dict[str, int]]:
    """Submit each baseline archive to each competition once, through the real upload path."""
    from arena.services.submissions import create_submission

    submitted: dict[str, dict[str, int]] = {}
    for slug in slugs:
        submitted[slug] = {}
        for name, path in baselines.items():
            session = factory()
            try:
                competition = get_competition(session, slug)
                organizer = session.scalar(select(User).where(User.username == ORGANIZER.username))
                existing = session.scalar(select(Submission).where(
                    Submission.competition_id == competition.id, Submission.is_baseline.is_(True),
                    Submission.label == f"baseline: {name.value}"))
                if existing is None:
                    existing = create_submission(session, settings, organizer, competition, upload_path=path,
                                                 original_filename=path.name, label=f"baseline: {name.value}",
                                                 notes=f"The {name.value} baseline built by `stylearena demo`.",
                                                 is_baseline=True)
                    # The two that really stylize are offered on the try-it page (issue 17).
                    existing.allow_try_it = name in TRY_IT_BASELINES
                    session.commit()
                    log(f"submitted baseline {name.value} to {slug} (#{existing.id})")
                submitted[slug][name.value] = existing.id
            finally:
                session.close()
    return submitted


def pending_count(factory, submission_ids: list[int]) -> int:
    """How many of these submissions are not in a final state yet."""
    with transaction(factory) as session:
        statuses = session.scalars(select(Submission.status).where(Submission.id.in_(submission_ids)))
        return sum(1 for s in statuses if not SubmissionStatus(s).is_final)


def requeue_unfinished(settings: Settings, factory, submission_ids: list[int]) -> None:
    """Enqueue again the queued evaluations of these submissions (a previous run may have stopped)."""
    from evaluator.dispatch import enqueue_evaluation
    from arena.core.models import Evaluation

    with transaction(factory) as session:
        rows = session.execute(select(Evaluation.id, Evaluation.attempt).where(
            Evaluation.submission_id.in_(submission_ids), Evaluation.status == EvaluationStatus.QUEUED)).all()
    for evaluation_id, attempt in rows:
        enqueue_evaluation(settings, evaluation_id, attempt)




def worker_argv(*options: str) -> list[str]:
    """`stylearena worker` in this interpreter (the venv's console script may not be on PATH)."""
    return [sys.executable, "-c", "from arena.cli import main; main()", "worker", *options]


def run_burst_worker(settings: Settings) -> int:
    """Run `stylearena worker --burst` in a child process; returns its exit status.

    A child, not an in-process worker: this process has already run torch (training,
    reference statistics), and RQ forks a work-horse per job — a fork after OpenMP's
    threads have started deadlocks the child.
    """
    env = {**os.environ, **settings.to_env()}
    return subprocess.run(worker_argv("--burst"), env=env, check=False).returncode


def work_until_scored(settings: Settings, factory, submission_ids: list[int], log: Log = print,
                      max_rounds: int = 5) -> int:
    """Run burst workers until every submission is final; returns how many are still pending."""
    for _ in range(max_rounds):
        pending = pending_count(factory, submission_ids)
        if pending == 0:
            return 0
        log(f"scoring {pending} submission(s) (a worker runs the sandbox, then the metrics)...")
        requeue_unfinished(settings, factory, submission_ids)
        status = run_burst_worker(settings)
        if status != 0:
            log(f"warning: the worker exited with status {status}")
    return pending_count(factory, submission_ids)


def seed_arena_votes(settings: Settings, factory, slugs: tuple[str, ...], log: Log = print) -> None:
    """Simulated votes in each competition's human preference arena (issue 17), so it is live."""
    from arena.services.preference.seed import seed_demo_votes

    for slug in slugs:
        with transaction(factory) as session:
            summary = seed_demo_votes(session, settings, get_competition(session, slug))
        if summary is not None:
            log(f"{slug}: {summary.valid_votes} demo votes in the human preference arena")


def prepare_demo(settings: Settings, scale: DemoScale = DemoScale.FULL, log: Log = print,
                 score: bool = True, baselines_dir: Path | None = None) -> DemoState:
    """Datasets, competitions, users, baselines and their scores (no services, no web).

    ``baselines_dir`` defaults to ``data_dir/demo/baselines``; tests share one across runs
    so the trained baseline is built once.
    """
    from arena.demo.build import build_baselines

    engine = make_engine(settings.database_url)
    try:
        factory = make_session_factory(engine)
        slugs = publish_demo_data(settings, factory, scale, log)
        with transaction(factory) as session:
            public = get_competition(session, MAIN_SLUG).public_dataset
            public_dir = dataset_path(settings, public)
        baselines = build_baselines(baselines_dir or settings.data_dir / "demo" / "baselines", public_dir, log=log)
        submitted = submit_baselines(settings, factory, slugs, baselines, log)
        if score:
            ids = [i for per in submitted.values() for i in per.values()]
            left = work_until_scored(settings, factory, ids, log)
            if left:
                log(f"warning: {left} baseline(s) not scored yet; `stylearena worker` will finish them")
            seed_arena_votes(settings, factory, slugs, log)
            if FINALE_SLUG in slugs:
                finalists = submit_finalists(settings, factory, baselines, log)
                if finalists and work_until_scored(settings, factory, finalists, log) == 0:
                    finalize_finale(factory, finalists, log)
        return DemoState(competitions=slugs, submissions=submitted)
    finally:
        engine.dispose()
