"""Exporting a competition's results (every submission and its current scores) as CSV or JSON."""
from __future__ import annotations

import csv
import io
import json
import math
from dataclasses import asdict, dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from arena.core.enums import EvaluationStatus
from arena.services.leaderboard import every_leaderboard_row, metric_columns
from arena.core.models import Competition, Evaluation, Submission
from arena.core.target import EvaluationTarget

# How many significant digits a score is shown and exported with: pages, the API and these
# exports all round through ``round_score``. Four is the default until scores carry
# confidence intervals (then the interval should decide the digits); sixteen digits claim a
# precision no benchmark of this size has, and every shown digit is one more a generator
# could steer. The stored value keeps full precision and decides the rank; organizers read
# it on the admin page and in ``stylearena submission show``.
SCORE_SIGNIFICANT_DIGITS = 4


def round_score(value: float | None) -> float | None:
    """``value`` rounded to ``SCORE_SIGNIFICANT_DIGITS`` significant digits (123.456789 -> 123.5).

    None and non-finite values give None (JSON has no NaN).
    """
    if value is None or not math.isfinite(value):
        return None
    return float(f"{value:.{SCORE_SIGNIFICANT_DIGITS}g}")


FIXED_COLUMNS = ("submission_id", "username", "label", "status", "is_baseline", "created_at", "rank",
                 "tied", "calibrated", "error_code", "disqualified_reason", "dataset_version", "scorer_version")
BOOLEAN_COLUMNS = frozenset({"is_baseline", "tied", "calibrated"})


def csv_bool(value: bool | None) -> str:
    """The one boolean convention of every CSV the platform writes (site and CLI): 1, 0, empty for None."""
    return "" if value is None else ("1" if value else "0")


def parse_csv_bool(text: str) -> bool | None:
    """The inverse of :func:`csv_bool`."""
    return None if text == "" else text == "1"


# A cell starting with one of these runs as a formula when a spreadsheet opens the file.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_text(value: Any) -> Any:
    """A text cell of any CSV the platform writes: participant-written text (labels, names,
    reasons) that would start a formula is prefixed with an apostrophe; other values pass."""
    if isinstance(value, str) and value[:1] in _FORMULA_STARTS:
        return "'" + value
    return value


def parse_csv_text(text: str) -> str:
    """The inverse of :func:`csv_text`."""
    return text[1:] if text[:1] == "'" and text[1:2] in _FORMULA_STARTS else text
# Each metric's 95 % interval follows the metric columns as ``<metric>_low`` / ``<metric>_high``.
INTERVAL_ENDS = ("low", "high")


@dataclass(frozen=True)
class ResultRow:
    """One submission of a competition with its scores on the current hidden version."""

    submission_id: int
    username: str
    label: str
    status: str
    is_baseline: bool
    created_at: str
    rank: int | None
    tied: bool | None  # shares its rank (not separated at 95 %); None off the board
    calibrated: bool | None
    error_code: str | None
    disqualified_reason: str | None
    metrics: dict[str, float | None]
    # What the scores were measured on: the counted evaluation's dataset sha256 and scorer (None unscored).
    dataset_version: str | None = None
    scorer_version: str | None = None
    intervals: dict[str, tuple[float | None, float | None]] = field(default_factory=dict)


def _ranks(session: Session, competition: Competition) -> dict[int, tuple[int | None, bool]]:
    return {row.submission_id: (row.rank, row.tied) for row in every_leaderboard_row(session, competition)}


def competition_results(session: Session, competition: Competition) -> list[ResultRow]:
    """Every submission of the competition, oldest first, with board rank and scores."""
    names = [c.name for c in metric_columns(competition)]
    ranks = _ranks(session, competition)
    target = EvaluationTarget.of(competition)
    submissions = session.scalars(
        select(Submission).where(Submission.competition_id == competition.id)
        .options(selectinload(Submission.owner), selectinload(Submission.evaluations).selectinload(Evaluation.scores))
        .order_by(Submission.created_at, Submission.id)
    )
    rows = []
    for sub in submissions:
        current = [e for e in sub.evaluations if target.counts(e) and e.status == EvaluationStatus.SCORED]
        scores = {s.metric: s for s in current[-1].scores} if current else {}
        rows.append(ResultRow(
            submission_id=sub.id, username=sub.owner.username, label=sub.label or "", status=sub.status.value,
            is_baseline=bool(sub.is_baseline), created_at=sub.created_at.isoformat(),
            rank=ranks.get(sub.id, (None, None))[0], tied=ranks.get(sub.id, (None, None))[1],
            calibrated=all(s.calibrated for s in scores.values()) if scores else None,
            error_code=sub.error_code, disqualified_reason=sub.disqualified_reason,
            metrics={n: round_score(scores[n].value) if n in scores else None for n in names},
            dataset_version=current[-1].dataset_version.manifest_sha256 if current else None,
            scorer_version=current[-1].scorer_version if current else None,
            intervals={n: (round_score(scores[n].ci_low), round_score(scores[n].ci_high)) for n in names
                       if n in scores and scores[n].ci_low is not None},
        ))
    return rows


def results_to_json(competition: Competition, rows: list[ResultRow]) -> str:
    """The JSON export: the competition, its dataset and scorer versions, and the rows."""
    doc = {
        "competition": competition.slug,
        "ranking_metric": competition.ranking_metric,
        "hidden_dataset": competition.hidden_dataset.manifest_sha256 if competition.hidden_dataset else None,
        "scorer_version": competition.scorer_version,
        "results": [asdict(r) for r in rows],
    }
    return json.dumps(doc, indent=2, sort_keys=True)


def results_to_csv(rows: list[ResultRow]) -> str:
    """The CSV export: fixed columns then one column per metric (the competition's, optional
    ones included, as ``competition_results`` gives them); empty cells for None."""
    names = list(rows[0].metrics) if rows else [c.name for c in metric_columns()]
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow([*FIXED_COLUMNS, *names, *[f"{n}_{end}" for n in names for end in INTERVAL_ENDS]])
    for r in rows:
        fixed = [csv_bool(getattr(r, c)) if c in BOOLEAN_COLUMNS else csv_text(getattr(r, c)) for c in FIXED_COLUMNS]
        # repr() of a (rounded) float round-trips exactly, so the CSV says what the JSON says.
        values = [repr(r.metrics[n]) if r.metrics.get(n) is not None else "" for n in names]
        bounds = [repr(r.intervals[n][i]) if n in r.intervals and r.intervals[n][i] is not None else ""
                  for n in names for i in range(len(INTERVAL_ENDS))]
        writer.writerow([("" if v is None else v) for v in fixed] + values + bounds)
    return buf.getvalue()


def results_from_csv(text: str) -> list[ResultRow]:
    """Parse a CSV export back into rows (the inverse of :func:`results_to_csv`)."""
    rows = []
    for rec in csv.DictReader(io.StringIO(text)):
        bound_columns = {f"{n}_{end}" for n in rec for end in INTERVAL_ENDS}
        metrics = {k: (float(v) if v != "" else None) for k, v in rec.items()
                   if k not in FIXED_COLUMNS and k not in bound_columns}
        intervals = {n: (float(rec[f"{n}_low"]), float(rec[f"{n}_high"])) for n in metrics
                     if rec.get(f"{n}_low") not in (None, "")}
        rows.append(ResultRow(
            submission_id=int(rec["submission_id"]), username=parse_csv_text(rec["username"]),
            label=parse_csv_text(rec["label"]),
            status=rec["status"], is_baseline=parse_csv_bool(rec["is_baseline"]) is True, created_at=rec["created_at"],
            rank=int(rec["rank"]) if rec["rank"] else None,
            tied=parse_csv_bool(rec.get("tied", "")), calibrated=parse_csv_bool(rec["calibrated"]),
            dataset_version=rec.get("dataset_version") or None, scorer_version=rec.get("scorer_version") or None,
            error_code=rec["error_code"] or None,
            disqualified_reason=parse_csv_text(rec["disqualified_reason"]) or None,
            metrics=metrics, intervals=intervals,
        ))
    return rows
