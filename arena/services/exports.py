"""Organizer exports beyond the board: every evaluation (across dataset versions and scorers)
and per-pair results, as rows ready for CSV or JSON.

These are organizer-only (the CLI reads the database directly): per-pair values of a hidden
run describe hidden data and never go to a participant. Booleans follow ``results.csv_bool``
and numbers ``results.round_score``, as the board and the results export do.
"""
from __future__ import annotations

import csv
import io
import json
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from arena.core.models import Competition, DatasetVersion, Evaluation, Submission
from arena.core.settings import Settings
from arena.core.store.datasets import read_stored_manifest
from arena.core.target import EvaluationTarget
from arena.services.results import csv_bool, csv_text, round_score

HISTORY_COLUMNS = ("submission_id", "username", "label", "evaluation_id", "kind", "status", "counts_on_board",
                   "dataset_version", "dataset_name", "dataset_id", "scorer_version", "created_at", "finished_at",
                   "error_code")
PAIR_COLUMNS = ("submission_id", "username", "label", "evaluation_id", "counts_on_board", "dataset_version",
                "scorer_version", "pair_id", "content", "style")


def _evaluations(session: Session, competition: Competition) -> list[Evaluation]:
    return list(session.scalars(
        select(Evaluation).join(Submission).where(Submission.competition_id == competition.id)
        .options(selectinload(Evaluation.scores), selectinload(Evaluation.dataset_version),
                 selectinload(Evaluation.submission).selectinload(Submission.owner))
        .order_by(Evaluation.submission_id, Evaluation.id)))


def evaluation_history(session: Session, competition: Competition) -> list[dict[str, Any]]:
    """One row per evaluation of every submission: what it ran on, its outcome and its scores."""
    target = EvaluationTarget.of(competition)
    rows = []
    for e in _evaluations(session, competition):
        sub = e.submission
        rows.append({
            "submission_id": sub.id, "username": sub.owner.username, "label": sub.label or "",
            "evaluation_id": e.id, "kind": e.kind.value, "status": e.status.value, "counts_on_board": target.counts(e),
            "dataset_version": e.dataset_version.manifest_sha256, "dataset_name": e.dataset_version.name,
            "dataset_id": e.dataset_version_id, "scorer_version": e.scorer_version,
            "created_at": e.created_at.isoformat(), "finished_at": e.finished_at.isoformat() if e.finished_at else None,
            "error_code": e.error_code,
            "metrics": {s.metric: round_score(s.value) for s in sorted(e.scores, key=lambda s: s.metric)},
        })
    return rows


def _pair_names(settings: Settings, version: DatasetVersion, cache: dict[int, dict[str, tuple[str, str]]]):
    if version.id not in cache:
        manifest = json.loads(read_stored_manifest(settings, version))
        cache[version.id] = {p["pair_id"]: (p["content"], p["style"]) for p in manifest["pairs"]}
    return cache[version.id]


def pair_results(session: Session, settings: Settings, competition: Competition) -> list[dict[str, Any]]:
    """One row per pair of every scored evaluation that kept per-pair values, with its images."""
    target = EvaluationTarget.of(competition)
    names: dict[int, dict[str, tuple[str, str]]] = {}
    rows = []
    for e in _evaluations(session, competition):
        if not e.per_pair:
            continue
        pairs = _pair_names(settings, e.dataset_version, names)
        sub = e.submission
        for pair_id in sorted(e.per_pair):
            content, style = pairs.get(pair_id, ("", ""))
            rows.append({
                "submission_id": sub.id, "username": sub.owner.username, "label": sub.label or "",
                "evaluation_id": e.id, "counts_on_board": target.counts(e),
                "dataset_version": e.dataset_version.manifest_sha256, "scorer_version": e.scorer_version,
                "pair_id": pair_id, "content": content, "style": style,
                "metrics": {k: round_score(v) for k, v in sorted(e.per_pair[pair_id].items())},
            })
    return rows


def rows_to_csv(rows: list[dict[str, Any]], columns: tuple[str, ...]) -> str:
    """Fixed columns, then one column per metric found in any row; booleans as 1/0, None empty."""
    metrics = sorted({m for r in rows for m in r["metrics"]})
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow([*columns, *metrics])

    def cell(value: Any) -> Any:
        if isinstance(value, bool):
            return csv_bool(value)
        return "" if value is None else csv_text(value)

    for r in rows:
        writer.writerow([cell(r[c]) for c in columns] +
                        [repr(r["metrics"][m]) if r["metrics"].get(m) is not None else "" for m in metrics])
    return buf.getvalue()
