"""Cost of the intervals and the ranks with ties (issue 13): bootstrap per evaluation, re-rank per score.

Usage::

    python benchmarks/ranking.py [--entries 2000] [--resamples 1000] [--skip-db]

Prints (1) the bootstrap of one evaluation (every metric with a replicate function, B
resamples) at N = 100 and N = 1,000 pairs for reference sets of 20 and 200 images;
(2) ranking a board of M entries from scratch (every pair tested) and after one new score
(only the pairs with the new entry), in numpy; (3) the same through SQL (SQLite file): seed M
entries with replicates, ``rerank`` from scratch, then one new score and ``rerank`` again.
Synthetic features and replicates; the figures are the cost, not the statistics.
"""
from __future__ import annotations

import argparse
import hashlib
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import sqlalchemy as sa

from arena.core import migrate
from arena.core.db import make_engine, make_session_factory
from arena.core.enums import DatasetSplit, EvaluationStatus, SubmissionFormat, SubmissionStatus
from arena.core.imageset import Pair
from arena.core.models import (Competition, DatasetVersion, Evaluation, Score, ScoreReplicate, Submission, User,
                               utcnow)
from evaluator.metrics.catalog import METRICS, PER_PAIR_METRICS, MetricName
from evaluator.metrics.fid import summarize
from evaluator.statistics.board import rerank
from evaluator.statistics.ranking import count_beaters, encode, rank_with_ties, reflected, update_beaten_by
from evaluator.statistics.replicates import REGISTRY, bootstrap
from evaluator.statistics.resample import stratified_resamples

DIM = 2048
N_STYLES = 10


def fake_state(n_pairs: int, n_refs: int, rng: np.random.Generator) -> SimpleNamespace:
    """What ``bootstrap`` reads of a ``ScoreState``: pairs, per-pair values, features, reference FID."""
    pairs = tuple(Pair(f"p{i}", f"c{i}.png", f"s{i % N_STYLES}.png") for i in range(n_pairs))
    features = np.abs(rng.normal(0.4, 0.3, (n_pairs, DIM)))
    refs = np.abs(rng.normal(0.45, 0.3, (n_refs, DIM)))
    # The published ArtFID's own side (art-Inception features, one reference row per output).
    art = np.abs(rng.normal(0.4, 0.3, (n_pairs, DIM)))
    return SimpleNamespace(
        pairs=pairs,
        inception={p.pair_id: features[i] for i, p in enumerate(pairs)},
        art_inception={p.pair_id: art[i] for i, p in enumerate(pairs)},
        content_distance={p.pair_id: float(rng.uniform(0.1, 1.0)) for p in pairs},
        art_rows=tuple(i % n_refs for i in range(n_pairs)),
        per_pair={p.pair_id: {m: float(rng.uniform(0.1, 1.0)) for m in PER_PAIR_METRICS} for p in pairs},
        reference=SimpleNamespace(fid=summarize(refs), art_inception=refs),
    )


def bench_bootstrap(resamples: int, sizes: tuple[int, ...], refs: tuple[int, ...]) -> None:
    """Seconds per metric (each replicate function on its own) and in all, per evaluation."""
    rng = np.random.default_rng(0)
    # Requirements first (ArtFID's formula reads FID's and LPIPS's replicates).
    metrics = sorted((m for m in METRICS if m in REGISTRY), key=lambda m: len(REGISTRY[m].requires))
    print(f"bootstrap of one evaluation, B = {resamples} (seconds per metric's replicates, then all of them):")
    for n_pairs in sizes:
        for n_refs in refs:
            state = fake_state(n_pairs, n_refs, rng)
            draws = stratified_resamples([p.pair_id for p in state.pairs], [p.style for p in state.pairs],
                                         resamples, 1)
            done: dict[str, np.ndarray] = {}
            parts = {}
            for name in metrics:
                entry = REGISTRY[name]
                started = time.perf_counter()
                done[name] = entry.fn(state, draws, done)
                parts[name] = time.perf_counter() - started
            total = time.perf_counter()
            bootstrap(state, metrics, resamples=resamples)
            total = time.perf_counter() - total
            detail = ", ".join(f"{k} {v:.2f}" for k, v in parts.items())
            print(f"  N = {n_pairs:5d} pairs, {n_refs:4d} reference images: {total:7.2f} s in all ({detail})")


def synthetic_board(m: int, resamples: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    points = np.sort(rng.normal(60.0, 8.0, m))
    shared = rng.normal(0.0, 1.0, resamples)  # hard and easy resamples are shared by every entry
    replicates = points[:, None] + 1.5 * shared + rng.normal(0.0, 1.0, (m, resamples)) * rng.uniform(0.5, 2.0, (m, 1))
    return points, replicates


def bench_rank(m: int, resamples: int) -> None:
    rng = np.random.default_rng(1)
    points, replicates = synthetic_board(m, resamples, rng)
    started = time.perf_counter()
    board = rank_with_ties(points, replicates, higher_is_better=False)
    scratch = time.perf_counter() - started
    new_point = float(np.median(points))
    new = new_point + 1.5 * rng.normal(0, 1, resamples) + rng.normal(0, 1, resamples)
    all_points = np.append(points, new_point)
    all_reps = np.vstack([replicates, new])
    order = np.argsort(all_points, kind="stable")
    all_points, all_reps = all_points[order], all_reps[order]
    added = order == m
    stored = np.append(board.beaten_by, 0)[order]
    started = time.perf_counter()
    counts = update_beaten_by(reflected(all_points, all_reps, False), stored, added, np.zeros((0, resamples)))
    after = rank_with_ties(all_points, all_reps, False, beaten_by=counts)
    incremental = time.perf_counter() - started
    assert np.array_equal(counts, count_beaters(reflected(all_points, all_reps, False)))
    tied = float(after.tied.mean())
    print(f"ranks with ties, numpy, M = {m}, B = {resamples}: from scratch {scratch:.2f} s; after one new score "
          f"{incremental * 1000:.1f} ms (equal to from scratch); {tied:.0%} of entries share a rank, "
          f"ranks from 1 to {int(after.ranks.max())}")


def bench_sql(m: int, resamples: int) -> None:
    folder = Path(tempfile.mkdtemp(prefix="sa-bench-rank-"))
    url = f"sqlite:///{folder / 'bench.sqlite3'}"
    migrate.upgrade(url)
    engine = make_engine(url)
    rng = np.random.default_rng(2)
    points, replicates = synthetic_board(m, resamples, rng)
    ranking = MetricName.ART_FID.value
    now = utcnow()
    with engine.begin() as conn:
        sha = hashlib.sha256(b"hidden").hexdigest()
        dataset = conn.execute(sa.insert(DatasetVersion).returning(DatasetVersion.id), [dict(
            manifest_sha256=sha, name="bench-hidden", split=DatasetSplit.HIDDEN, n_content=8, n_style=8,
            n_pairs=64, storage_path=sha, licence="CC0", created_at=now)]).scalar_one()
        comp = conn.execute(sa.insert(Competition).returning(Competition.id), [dict(
            slug="bench", title="Bench", description="", rules="", ranking_metric=ranking, daily_quota=5,
            hidden_dataset_id=dataset, scorer_version="1", created_at=now)]).scalar_one()
        total = m + 1
        conn.execute(sa.insert(User), [dict(id=i + 1, username=f"u{i}", password_hash="x", role="participant",
                                            is_active=True, created_at=now) for i in range(total)])
        conn.execute(sa.insert(Submission), [dict(
            id=i + 1, owner_id=i + 1, competition_id=comp, label=f"v{i}", notes="", original_filename="m.pt",
            sha256=hashlib.sha256(str(i).encode()).hexdigest(), size_bytes=1, format=SubmissionFormat.TORCHSCRIPT,
            status=SubmissionStatus.SCORED, counts_against_quota=True, is_baseline=False,
            created_at=now - timedelta(minutes=total - i), updated_at=now) for i in range(total)])
        conn.execute(sa.insert(Evaluation), [dict(
            id=i + 1, submission_id=i + 1, dataset_version_id=dataset, scorer_version="1", kind="initial",
            status=EvaluationStatus.QUEUED if i == m else EvaluationStatus.SCORED, attempt=1, platform_faults=0,
            provenance={}, timings={}, created_at=now) for i in range(total)])
        new_point = float(np.median(points))
        all_points = np.append(points, new_point)
        all_reps = np.vstack([replicates, new_point + rng.normal(0, 1.5, resamples)])
        conn.execute(sa.insert(Score), [dict(evaluation_id=i + 1, metric=name, value=float(all_points[i]),
                                             definition_version="1", calibrated=False)
                                        for i in range(total) for name in METRICS])
        conn.execute(sa.insert(ScoreReplicate), [dict(evaluation_id=i + 1, metric=ranking, resamples=resamples,
                                                      data=encode(all_reps[i])) for i in range(total)])
    factory = make_session_factory(engine)
    with factory() as session:
        started = time.perf_counter()
        rerank(session, comp, metrics=[ranking])
        session.commit()
        scratch = time.perf_counter() - started
    with engine.begin() as conn:  # the new score lands
        conn.execute(sa.update(Evaluation).where(Evaluation.id == total).values(status=EvaluationStatus.SCORED))
    with factory() as session:
        started = time.perf_counter()
        report = rerank(session, comp, metrics=[ranking])
        session.commit()
        incremental = time.perf_counter() - started
    assert report.full == {ranking: False}
    with factory() as session:
        started = time.perf_counter()
        rerank(session, comp, metrics=[n for n in METRICS if n != ranking])
        session.commit()
        exact = time.perf_counter() - started
    print(f"rerank through SQL (SQLite), M = {m}: from scratch {scratch:.2f} s; after one new score "
          f"{incremental * 1000:.0f} ms (load {m + 1} replicate rows, test {m} pairs, write {m + 1} ranks); "
          f"the {len(METRICS) - 1} metrics without replicates here (exact order) {exact * 1000:.0f} ms")
    engine.dispose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=2000)
    parser.add_argument("--resamples", type=int, default=1000)
    parser.add_argument("--pairs", type=int, nargs="+", default=[100, 1000])
    parser.add_argument("--references", type=int, nargs="+", default=[20, 200])
    parser.add_argument("--skip-db", action="store_true")
    args = parser.parse_args(argv)
    bench_bootstrap(args.resamples, tuple(args.pairs), tuple(args.references))
    bench_rank(args.entries, args.resamples)
    if not args.skip_db:
        bench_sql(args.entries, args.resamples)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
