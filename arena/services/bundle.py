"""Competition bundles: one YAML file that declares a competition, applied idempotently.

A bundle (Codabench's ``competition.yaml``, simpler) names what an organizer would otherwise
type as several CLI commands::

    slug: paint                      # required
    title: Paint it                  # required
    description_file: description.md # relative to the bundle file
    rules_file: rules.md             # the rules participants accept (Markdown; omitted: no rules)
    status: draft                    # draft (default), open or closed
    timezone: Europe/Paris           # IANA name (default UTC); dates without an offset are read in it
    starts: 2027-01-01T09:00         # as the CLI reads dates: a bare date ends at the end of its day
    ends: 2027-01-31
    optional_metrics: [ssim]         # computed and shown besides the core metrics (default none)
    ranking_metric: art_fid
    daily_quota: 5
    scorer_version: installed        # a scorer id, or the installed weights' scorer
    sandbox: {timeout_s: 300, memory_mb: 2048}  # within the platform's caps; omitted: the platform's
    runtime_image: torchvision       # a recipe built on this host (`stylearena sandbox images`); default base
    datasets:
      public: {folder: public/}      # a dataset folder (published, idempotently) ...
      hidden: {version: 3f2a9c...}   # ... or a published version (id or sha256 prefix)

Applying compares the bundle with the competition and changes only what differs, through the
same services the CLI uses; dataset versions go through ``stage_for_competition``, so a bundle
never changes what a live board shows (a new hidden version is staged, and the commands to
finish the switch are returned). ``export_bundle`` writes the current state back, datasets as
versions, so two competitions are equal exactly when their exported bundles are.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from arena.core.competition_limits import check_competition_limits
from arena.core.enums import CompetitionStatus, DatasetSplit
from arena.core.errors import ArenaError
from arena.core.models import Competition
from arena.core.settings import Settings
from arena.services.competitions import (
    CompetitionChanges,
    check_zone,
    configure_competition,
    create_competition,
    parse_when,
)
from arena.services.publishing import ReferenceStats, find_version, publish, stage_for_competition
from evaluator.metrics.optional_catalog import UnknownOptionalMetric, format_optional_metrics, parse_optional_metrics
from evaluator.scorer import resolve_scorer

KEYS = ("slug", "title", "description_file", "rules_file", "status", "timezone", "starts", "ends", "ranking_metric",
        "optional_metrics", "daily_quota", "scorer_version", "sandbox", "runtime_image", "datasets")
SANDBOX_KEYS = ("timeout_s", "memory_mb")
# What apply compares, in the order the difference is printed.
FIELDS = ("title", "description", "rules", "status", "timezone", "starts_at", "ends_at", "optional_metrics", "ranking_metric",
          "daily_quota",
          "scorer_version", "sandbox_timeout_s", "sandbox_memory_mb", "runtime_image", "public_dataset", "hidden_dataset")
DEFAULTS = {"status": "draft", "ranking_metric": "art_fid", "daily_quota": 5, "runtime_image": "base"}


class BundleError(ArenaError):
    """A bundle that cannot be applied as written; the message names the key."""


@dataclass(frozen=True)
class Change:
    """One field that differs: what the competition has and what the bundle asks for."""

    field: str
    old: Any
    new: Any


@dataclass(frozen=True)
class ApplyResult:
    """What applying did (or, in a dry run, would do)."""

    slug: str
    created: bool
    changes: tuple[Change, ...]
    next_steps: tuple[str, ...] = ()  # commands that finish a staged dataset switch


def _when(value: Any, key: str, zone: str) -> str | None:
    """A bundle date as an ISO 8601 UTC instant, read as the CLI reads dates (``parse_when``)."""
    if value is None:
        return None
    if not isinstance(value, (str, date)):  # YAML may already have parsed a date or a datetime
        raise BundleError("bad_bundle", f"'{key}': expected a date and time, not {value!r}.")
    text = value if isinstance(value, str) else value.isoformat()
    return parse_when(text, zone, end_of_day=key == "ends").astimezone(timezone.utc).isoformat()


def _optional_metrics(value: Any) -> str:
    """The stored form of a bundle's optional metrics (a list or a comma-separated text)."""
    text = ",".join(map(str, value)) if isinstance(value, list) else str(value or "")
    try:
        return format_optional_metrics(parse_optional_metrics(text))
    except UnknownOptionalMetric as exc:
        raise BundleError("bad_bundle", f"'optional_metrics': {exc}") from None


def _text_file(path: Path, data: dict[str, Any], key: str) -> str:
    """The text of the file a bundle key names (beside the bundle), or '' when the key is absent."""
    name = data.get(key)
    if not name:
        return ""
    try:
        return (path.parent / name).read_text(encoding="utf-8")
    except OSError as exc:
        raise BundleError("bad_bundle", f"{key}: {path.parent / name} cannot be read ({exc.strerror}).") from None


def read_bundle(path: Path) -> dict[str, Any]:
    """Parse a bundle file (safe YAML) and check its keys; paths are resolved beside it.

    Raises:
        BundleError: unreadable YAML, unknown or missing keys, bad values.
    """
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise BundleError("bad_bundle", f"{path}: cannot be read ({exc.strerror}).") from None
    except yaml.YAMLError as exc:
        raise BundleError("bad_bundle", f"{path}: not valid YAML ({exc}).") from None
    if not isinstance(data, dict):
        raise BundleError("bad_bundle", f"{path}: a bundle is a mapping of keys ({', '.join(KEYS)}).")
    problems = [f"unknown key '{k}' (known: {', '.join(KEYS)})" for k in data if k not in KEYS]
    problems += [f"'{k}' is required" for k in ("slug", "title") if not data.get(k)]
    datasets = data.get("datasets") or {}
    if not isinstance(datasets, dict):
        problems.append("'datasets' maps public/hidden to {folder: DIR} or {version: ID}")
        datasets = {}
    for split, spec in datasets.items():
        if split not in ("public", "hidden"):
            problems.append(f"datasets: unknown split '{split}' (public or hidden)")
        elif not isinstance(spec, dict) or len(spec) != 1 or next(iter(spec)) not in ("folder", "version"):
            problems.append(f"datasets.{split}: give exactly one of 'folder' or 'version'")
    sandbox = data.get("sandbox") or {}
    if not isinstance(sandbox, dict) or set(sandbox) - set(SANDBOX_KEYS) or \
            not all(isinstance(v, int) and not isinstance(v, bool) for v in sandbox.values()):
        problems.append(f"'sandbox' maps {' and/or '.join(SANDBOX_KEYS)} to whole numbers")
        sandbox = {}
    if problems:
        raise BundleError("bad_bundle", f"{path}: " + "; ".join(problems) + ".")
    description = _text_file(path, data, "description_file")
    zone = check_zone(str(data.get("timezone", "UTC")))
    return {
        "slug": str(data["slug"]), "title": str(data["title"]), "description": description,
        "rules": _text_file(path, data, "rules_file"),
        "status": str(data.get("status", DEFAULTS["status"])), "timezone": zone,
        "starts_at": _when(data.get("starts"), "starts", zone), "ends_at": _when(data.get("ends"), "ends", zone),
        "optional_metrics": _optional_metrics(data.get("optional_metrics")),
        "ranking_metric": str(data.get("ranking_metric", DEFAULTS["ranking_metric"])),
        "daily_quota": int(data.get("daily_quota", DEFAULTS["daily_quota"])),
        "scorer_version": data.get("scorer_version"),
        "sandbox_timeout_s": sandbox.get("timeout_s"), "sandbox_memory_mb": sandbox.get("memory_mb"),
        "runtime_image": str(data.get("runtime_image") or DEFAULTS["runtime_image"]),
        "datasets": {split: ({"folder": path.parent / spec["folder"]} if "folder" in spec else
                             {"version": str(spec["version"])}) for split, spec in datasets.items()},
    }


def competition_state(competition: Competition | None) -> dict[str, Any]:
    """The bundle fields of a competition (empty for none); datasets by sha256."""
    if competition is None:
        return {}

    def when(value: datetime | None) -> str | None:
        return value.astimezone(timezone.utc).isoformat() if value else None

    return {
        "title": competition.title, "description": competition.description or "",
        "rules": competition.rules or "",
        "status": competition.status.value, "timezone": competition.timezone or "UTC",
        "optional_metrics": competition.optional_metrics or "", "starts_at": when(competition.starts_at),
        "ends_at": when(competition.ends_at), "ranking_metric": competition.ranking_metric,
        "daily_quota": competition.daily_quota, "scorer_version": competition.scorer_version,
        "sandbox_timeout_s": competition.sandbox_timeout_s, "sandbox_memory_mb": competition.sandbox_memory_mb,
        "runtime_image": competition.runtime_image or "base",
        "public_dataset": competition.public_dataset.manifest_sha256 if competition.public_dataset else None,
        "hidden_dataset": competition.hidden_dataset.manifest_sha256 if competition.hidden_dataset else None,
    }


def apply_bundle(session: Session, settings: Settings, path: Path, dry_run: bool = False,
                 reference_stats: ReferenceStats | None = None) -> ApplyResult:
    """Create or update the competition a bundle declares; changes only what differs.

    Flushes but does not commit; in a dry run the caller rolls back (dataset folders are still
    validated and their blobs stored: content-addressed, they cost only disk).

    Raises:
        BundleError, DatasetError, CompetitionError: the bundle cannot be applied (nothing changed).
    """
    wanted = read_bundle(path)
    slug = wanted["slug"]
    competition = session.scalar(select(Competition).where(Competition.slug == slug))
    have = competition_state(competition)
    check_competition_limits(settings.sandbox, wanted["sandbox_timeout_s"], wanted["sandbox_memory_mb"])
    wanted["scorer_version"] = resolve_scorer(wanted["scorer_version"] or "installed", settings.resolved_weights_dir)
    versions = {}
    for split, spec in wanted.pop("datasets").items():
        if "folder" in spec:
            version = publish(session, settings, spec["folder"], split=split,
                              reference_stats=None if dry_run else reference_stats).version
        else:
            version = find_version(session, spec["version"])
        if version.split != DatasetSplit(split):
            raise BundleError("bad_bundle", f"datasets.{split}: version {version.id} is a {version.split.value} version.")
        versions[split] = version
        wanted[f"{split}_dataset"] = version.manifest_sha256
    staged = {"public": competition.staged_public_dataset, "hidden": competition.staged_hidden_dataset} \
        if competition is not None else {}
    changes = []
    for name in FIELDS:
        if name not in wanted:
            continue  # a bundle without a split leaves that split as it is
        split = name.removesuffix("_dataset")
        if name.endswith("_dataset") and staged.get(split) is not None \
                and staged[split].manifest_sha256 == wanted[name]:
            continue  # already staged by an earlier apply: the switch is the organizer's step
        if have.get(name) != wanted[name]:
            changes.append(Change(name, have.get(name), wanted[name]))
    if wanted["runtime_image"] != (have.get("runtime_image") or DEFAULTS["runtime_image"]):
        from arena.services.runtime_images import require_built  # noqa: PLC0415 - the Docker SDK only here

        require_built(settings, wanted["runtime_image"])  # a dry run reports it too
    if dry_run or not changes:
        return ApplyResult(slug, competition is None, tuple(changes))
    status = CompetitionStatus(wanted["status"])
    if competition is None:
        competition = create_competition(session, slug, wanted["title"], status=status,
                                         scorer_version=wanted["scorer_version"])
    configure_competition(session, competition, CompetitionChanges(
        title=wanted["title"], description=wanted["description"], rules=wanted["rules"], status=status, timezone=wanted["timezone"],
        optional_metrics=wanted["optional_metrics"] or "none",
        starts_at=datetime.fromisoformat(wanted["starts_at"]) if wanted["starts_at"] else None,
        ends_at=datetime.fromisoformat(wanted["ends_at"]) if wanted["ends_at"] else None,
        ranking_metric=wanted["ranking_metric"], daily_quota=wanted["daily_quota"],
        scorer_version=wanted["scorer_version"], runtime_image=wanted["runtime_image"],
        # Through configure, like the CLI's --sandbox-timeout/--sandbox-memory, so a bundle's
        # limits are checked by the same rule and kept in the audit log (0: the platform's).
        sandbox_timeout_s=wanted["sandbox_timeout_s"] or 0, sandbox_memory_mb=wanted["sandbox_memory_mb"] or 0),
        sandbox=settings.sandbox)
    steps: list[str] = []
    for split, version in versions.items():
        steps += stage_for_competition(session, settings, competition, version)[1]
    session.flush()
    return ApplyResult(slug, not have, tuple(changes), tuple(steps))


def export_bundle(competition: Competition, description_file: str = "description.md",
                  rules_file: str = "rules.md") -> tuple[str, str]:
    """The bundle of a competition as it is now, and its description: ``(yaml_text, description)``.

    A competition with rules names ``rules_file``; the caller writes ``competition.rules`` there.
    """
    state = competition_state(competition)
    doc: dict[str, Any] = {"slug": competition.slug, "title": state["title"], "description_file": description_file,
                           "rules_file": rules_file if state["rules"] else None,
                           "status": state["status"], "timezone": state["timezone"], "starts": state["starts_at"],
                           "ends": state["ends_at"], "ranking_metric": state["ranking_metric"],
                           "optional_metrics": [m for m in state["optional_metrics"].split(",") if m] or None,
                           "daily_quota": state["daily_quota"],
                           "scorer_version": state["scorer_version"]}
    doc = {k: v for k, v in doc.items() if v is not None}
    sandbox = {k: state[f"sandbox_{k}"] for k in SANDBOX_KEYS if state[f"sandbox_{k}"] is not None}
    if sandbox:
        doc["sandbox"] = sandbox
    if state["runtime_image"] != DEFAULTS["runtime_image"]:
        doc["runtime_image"] = state["runtime_image"]
    datasets = {split: {"version": state[f"{split}_dataset"]} for split in ("public", "hidden")
                if state[f"{split}_dataset"]}
    if datasets:
        doc["datasets"] = datasets
    return yaml.safe_dump(doc, sort_keys=False, allow_unicode=True), state["description"]
