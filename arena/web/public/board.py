"""A leaderboard page as the views show it, and its CSV and JSON forms (shared with the API)."""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from evaluator.metrics.catalog import MetricInfo
from evaluator.statistics.protocol import PROTOCOL as STATISTICS_PROTOCOL
from arena.services import efficiency
from arena.services.results import csv_bool, csv_text, round_score
from arena.services.leaderboard import LeaderboardRow, leaderboard_rows, metric_columns, resolve_metric
from arena.core.errors import ArenaError
from arena.core.models import Competition, Phase
from arena.web.board_version import board_version, max_age
from arena.web.cache import TTLCache

PER_PAGE = 50
EXPORT_LIMIT = 500


@dataclass(frozen=True)
class BoardPage:
    """One page of a leaderboard with what the template needs to draw pagination and sorting."""

    competition: Competition
    metric: MetricInfo
    columns: tuple[MetricInfo, ...]
    rows: list[LeaderboardRow]
    page: int
    per_page: int
    total: int
    # Submission id -> its measured cost (``arena.services.efficiency``): optional columns, never the sort.
    costs: dict[int, Any] = field(default_factory=dict)
    # The phase whose board this is (issue 15), or None for the whole competition's.
    phase: Any = None

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def parse_page(raw: str | None) -> int:
    """A 1-based page number from a query string (bad input means page 1)."""
    try:
        return max(1, int(raw or 1))
    except ValueError:
        return 1


class UnknownPhase(ArenaError):
    """A ``phase`` query parameter that names none of the competition's phases."""

    http_status = 404


def requested_phase(competition: Competition, name: str | None) -> Phase | None:
    """The phase a board request names (None: the whole board); raises UnknownPhase."""
    if not name:
        return None
    for phase in competition.phases:
        if phase.name == name:
            return phase
    raise UnknownPhase("unknown_phase", f"This competition has no phase called '{name}'.")


def board_page(session: Session, competition: Competition, metric: str | None, page: int,
               per_page: int = PER_PAGE, cache: TTLCache | None = None, phase: Phase | None = None) -> BoardPage:
    """Load one page (from ``cache`` when fresh); raises UnknownMetric for an unknown ``metric``."""
    column = resolve_metric(competition, metric)
    phase_id = phase.id if phase is not None else None
    # The key names everything the query depends on, so a new hidden set or scorer version
    # is never served from an older entry.
    key = ("board", competition.id, competition.hidden_dataset_id, competition.scorer_version,
           column.name, page, per_page, phase_id)

    def load() -> list[LeaderboardRow]:
        return leaderboard_rows(session, competition, column.name, limit=per_page, offset=(page - 1) * per_page,
                                phase_id=phase_id)

    if cache is not None:
        rows = cache.get_or_set(key, load, version=board_version(competition.slug), ttl=max_age())
    else:
        rows = load()
    total = rows[0].total if rows else 0
    costs = efficiency.for_submissions(session, competition, (r.submission_id for r in rows))
    return BoardPage(competition, column, metric_columns(competition), rows, page, per_page, total, costs, phase)


def row_to_json(row: LeaderboardRow, cost: Any = None) -> dict[str, Any]:
    """One leaderboard row as JSON (``efficiency``: the measured cost, or None)."""
    return {
        "rank": row.rank,
        "submission_id": row.submission_id,
        "participant": row.username,
        "label": row.label,
        "submitted_at": row.created_at.isoformat(),
        "baseline": row.is_baseline,
        "calibrated": row.calibrated,
        "metrics": {name: round_score(value) for name, value in row.metrics.items()},
        # Ranks with ties (evaluator.statistics): "tied" shares its rank, "medal" earns it.
        "tied": row.tied,
        "medal": row.medal,
        "rank_state": row.rank_state.value,
        "intervals": {name: [round_score(low), round_score(high)] for name, (low, high) in row.intervals.items()},
        "efficiency": efficiency.to_json(cost),
    }


def board_to_json(board: BoardPage) -> dict[str, Any]:
    """The whole page as a JSON document."""
    return {
        "competition": board.competition.slug,
        "sort_metric": board.metric.name,
        "direction": "higher_is_better" if board.metric.higher_is_better else "lower_is_better",
        "dataset_version": board.competition.hidden_dataset.manifest_sha256
        if board.competition.hidden_dataset else None,
        "scorer_version": board.competition.scorer_version,
        "phase": board.phase.name if board.phase is not None else None,
        "statistics_protocol": STATISTICS_PROTOCOL,
        "page": board.page,
        "per_page": board.per_page,
        "total": board.total,
        "rows": [row_to_json(r, board.costs.get(r.submission_id)) for r in board.rows],
    }


def board_to_csv(board: BoardPage) -> str:
    """The page as CSV, one column per metric."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    names = [c.name for c in board.columns]
    writer.writerow(["rank", "participant", "label", "submission_id", "submitted_at", "baseline",
                     "calibrated", *names, "tied", "medal", *[f"{n}_{end}" for n in names for end in ("low", "high")],
                     *efficiency.CSV_COLUMNS, "dataset_version", "scorer_version"])
    # Every row of a board is measured on its one target: the versions repeat so that a saved file says so.
    hidden = board.competition.hidden_dataset
    versions = [hidden.manifest_sha256 if hidden else "", board.competition.scorer_version]
    for r in board.rows:
        writer.writerow([
            r.rank, csv_text(r.username), csv_text(r.label), r.submission_id, r.created_at.isoformat(),
            csv_bool(r.is_baseline), csv_bool(r.calibrated),
            *[("" if r.metrics[n] is None else repr(round_score(r.metrics[n]))) for n in names],
            csv_bool(r.tied), csv_bool(r.medal),
            *[("" if n not in r.intervals else repr(round_score(r.intervals[n][end]))) for n in names for end in (0, 1)],
            *efficiency.csv_cells(board.costs.get(r.submission_id)), *versions,
        ])
    return out.getvalue()
