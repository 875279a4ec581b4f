"""Publishing a dataset directory as an immutable, content-addressed DatasetVersion."""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, replace
from enum import Enum
from pathlib import Path
from typing import Callable, Protocol

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, object_session

from arena.core.datasets import board_split
from arena.core.store import datasets as store
from arena.core.datasets.errors import DatasetError, DatasetInvalid
from arena.core.imageset import CONTENT_DIR, PAIRS_NAME, REFERENCES_DIR, STYLE_DIR
from arena.core.datasets.leaks import find_leaks, store_fingerprints
from arena.core.datasets.manifest import (
    FILE_RE,
    MANIFEST_NAME,
    ImageEntry,
    Manifest,
    PairEntry,
    ReferenceEntry,
    load_manifest,
)
from arena.core.datasets.perceptual import Labelled, fingerprint
from arena.core.datasets.validate import (
    check_declared_hash,
    check_structure,
    find_conditioning_copies,
    find_duplicates,
    normalise_image,
)
from arena.core.enums import DatasetSplit
from arena.core.models import Competition, DatasetVersion, utcnow
from arena.services import audit
from arena.services.competitions import get_competition
from arena.core.settings import Settings


class Progress(Protocol):
    """Told how far publishing got: ``progress(stage, done, total)``."""

    def __call__(self, stage: str, done: int, total: int) -> None: ...


# Computes the reference statistics of a stored version; returns where they were cached.
ReferenceStats = Callable[[Settings, Path, str], "str | None"]


@dataclass(frozen=True)
class PublishResult:
    """The published version, whether this call created it, and what publishing did.

    ``placement`` and ``next_steps`` are set when it was published for a competition.
    """

    version: DatasetVersion
    created: bool
    conversions: tuple[str, ...] = ()
    unlisted: tuple[str, ...] = ()
    placement: "Placement | None" = None
    next_steps: tuple[str, ...] = ()
    # What became of the public/private board split asked for (``apply_board_split``).
    board_split_note: str = ""



def metrics_reference_stats(settings: Settings, version_path: Path, manifest_sha256: str) -> str:
    """Precompute the reference statistics with evaluator.metrics, keyed as the scorer reads them.

    Returns the cache entry's name under ``settings.cache_dir``.
    """
    # Imported here: publishing is where torch loads; the web process never publishes.
    from evaluator.metrics.io import read_pairs_csv
    from evaluator.metrics.shared import shared_suite

    weights = settings.resolved_weights_dir
    suite = shared_suite(weights if weights.is_dir() else None)
    manifest = json.loads((version_path / MANIFEST_NAME).read_text(encoding="utf-8"))
    references: dict[str, list[Path]] = {}
    for entry in manifest.get("references", []):
        references.setdefault(entry["style"], []).append(version_path / REFERENCES_DIR / entry["file"])
    # The same references the workers stage, so that they find this cache entry.
    stats = suite.reference_stats(read_pairs_csv(version_path / PAIRS_NAME), version_path / CONTENT_DIR,
                                  version_path / STYLE_DIR, cache_dir=settings.cache_dir,
                                  dataset_key=manifest_sha256, references=references or None)
    return stats.key


def _noop(stage: str, done: int, total: int) -> None:
    return None


@dataclass(frozen=True)
class CanonicalSet:
    """A validated source directory: its canonical manifest and what publishing did to it."""

    manifest: Manifest
    fingerprints: tuple[Labelled, ...]  # of every stored image, labelled ``<folder>/<stored name>``
    conversions: tuple[str, ...]        # one line per converted file
    unlisted: tuple[str, ...]           # files in the image folders that the manifest does not list


def unlisted_files(manifest: Manifest, source_dir: Path) -> list[str]:
    """Files under content/, style/ and references/ that the manifest does not list.

    Dot files (``.DS_Store``, editors' swap files) are not images anyone meant to publish.
    """
    listed = {CONTENT_DIR: {e.file for e in manifest.content}, STYLE_DIR: {e.file for e in manifest.style},
              REFERENCES_DIR: {r.file for r in manifest.references}}
    found = []
    for folder, names in listed.items():
        directory = source_dir / folder
        if directory.is_dir():
            found += [f"{folder}/{p.name}" for p in sorted(directory.iterdir())
                      if not p.name.startswith(".") and p.name not in names]
    return found


def build_canonical(source_dir: Path, settings: Settings, split: DatasetSplit | None,
                    progress: Progress = _noop, allow_unlisted: bool = False) -> CanonicalSet:
    """Validate a source directory, store its images as blobs and return the canonical set.

    Every problem is collected before anything is refused: the manifest's fields, its
    structure, each image that exists, and files the manifest does not list (refused unless
    ``allow_unlisted``). Blobs of a set that fails validation stay in the store unreferenced;
    they are content-addressed, so they cost disk space only and a corrected set reuses them.

    Raises:
        DatasetInvalid: listing every problem found, each naming its file.
    """
    source_dir = Path(source_dir)
    manifest = load_manifest(source_dir, split)
    problems = check_structure(manifest, source_dir)
    unlisted = unlisted_files(manifest, source_dir)
    if not allow_unlisted:
        problems += [f"{name}: in the folder but not listed in the manifest; list it, remove it, or pass "
                     f"--allow-unlisted to publish without it." for name in unlisted]
    renamed: dict[tuple[str, str], str] = {}
    checked: dict[str, list[ImageEntry]] = {CONTENT_DIR: [], STYLE_DIR: []}
    references: list[ReferenceEntry] = []
    prints: dict[str, Labelled] = {}
    conversions: list[str] = []
    total = len(manifest.content) + len(manifest.style) + len(manifest.references)
    done = 0
    listed = [(CONTENT_DIR, e) for e in manifest.content] + [(STYLE_DIR, e) for e in manifest.style]
    listed += [(REFERENCES_DIR, r) for r in manifest.references]
    for folder, entry in listed:
        path = source_dir / folder / entry.file
        done += 1
        if not FILE_RE.match(entry.file) or not path.is_file():
            continue  # check_structure has named it
        raw_sha = hashlib.sha256(path.read_bytes()).hexdigest()
        problems += check_declared_hash(entry, raw_sha, folder)
        try:
            image = normalise_image(path, f"{folder}/{entry.file}")
        except DatasetError as exc:
            problems.append(exc.message)
        else:
            stored_name = Path(image.file).name
            renamed[(folder, entry.file)] = stored_name
            sha = store.put_blob(settings, image.data)
            stored = replace(entry, file=stored_name, sha256=sha, width=image.width, height=image.height)
            label = f"{folder}/{stored_name}"
            prints[label] = Labelled(label, sha, fingerprint(image.data))
            if image.converted:
                conversions.append(f"{folder}/{entry.file}: converted from {image.converted_from} to RGB PNG"
                                   f" (stored as {label}).")
            (references if folder == REFERENCES_DIR else checked[folder]).append(stored)
        progress("check", done, total)
    for folder, entries in (*checked.items(), (REFERENCES_DIR, references)):
        names = [e.file for e in entries]
        problems += [f"{folder}/{n}: two source files convert to this name." for n in sorted(set(names)) if names.count(n) > 1]
        problems += find_duplicates([(f"{folder}/{e.file}", e.sha256) for e in entries])
    shown = [prints[f"{folder}/{e.file}"] for folder, entries in checked.items() for e in entries]
    problems += find_conditioning_copies([prints[f"{REFERENCES_DIR}/{r.file}"] for r in references], shown)
    if problems:
        raise DatasetInvalid(problems)
    pairs = tuple(PairEntry(p.pair_id, renamed[(CONTENT_DIR, p.content)], renamed[(STYLE_DIR, p.style)])
                  for p in manifest.pairs)
    references = [replace(r, style=renamed[(STYLE_DIR, r.style)]) for r in references]
    canonical = replace(manifest, content=tuple(checked[CONTENT_DIR]), style=tuple(checked[STYLE_DIR]), pairs=pairs,
                        references=tuple(references))
    return CanonicalSet(canonical, tuple(prints.values()), tuple(conversions), tuple(unlisted))


def check_no_leak(session: Session, settings: Settings, version: DatasetVersion) -> None:
    """Refuse a version that shares an image with any version of the other split on the platform.

    Raises:
        DatasetInvalid: naming each shared file, the other version and who uses it.
    """
    problems = find_leaks(session, settings, version)
    if problems:
        raise DatasetInvalid(problems)


def check_attachable(version: DatasetVersion) -> None:
    """Refuse a retired version (boards already pointing at it keep it)."""
    if version.retired_at is not None:
        raise DatasetError("retired_version", f"Dataset version {version.id} ({version.manifest_sha256[:12]}) was "
                                              f"retired on {version.retired_at:%Y-%m-%d}; publish or pick another.")


def assign_to_competition(settings: Settings, competition: Competition, version: DatasetVersion) -> None:
    """Make ``version`` the competition's current public or hidden version (by its split): the switch.

    Checks that the version is not retired and leaks nothing; clears it from the staged slot.
    """
    check_attachable(version)
    check_no_leak(object_session(competition), settings, version)
    if version.split == DatasetSplit.PUBLIC:
        competition.public_dataset = version
        if competition.staged_public_dataset_id == version.id:
            competition.staged_public_dataset = None
    else:
        competition.hidden_dataset = version
        if competition.staged_hidden_dataset_id == version.id:
            competition.staged_hidden_dataset = None


class Placement(str, Enum):
    """What publishing with ``--competition`` did with the version."""

    ATTACHED = "attached"    # the competition had no version of this split: nothing shown changes
    STAGED = "staged"        # the next version: the board keeps showing the current one
    CURRENT = "current"      # it is already the current version: no change


def stage_for_competition(session: Session, settings: Settings, competition: Competition,
                          version: DatasetVersion) -> tuple[Placement, tuple[str, ...]]:
    """Stage ``version`` as the competition's next version of its split; never change a shown one.

    A competition without a version of the split gets it at once (its board shows nothing
    yet, so nothing can empty). Returns the placement and the commands that finish the switch.
    """
    check_attachable(version)
    check_no_leak(session, settings, version)
    hidden = version.split == DatasetSplit.HIDDEN
    current = competition.hidden_dataset if hidden else competition.public_dataset
    if current is None:
        assign_to_competition(settings, competition, version)
        return Placement.ATTACHED, ()
    if current.id == version.id:
        return Placement.CURRENT, ()
    ref = version.manifest_sha256[:12]
    if hidden:
        competition.staged_hidden_dataset = version
        steps = (f"stylearena rescore {competition.slug} --dataset-version {ref}",
                 f"stylearena competition configure {competition.slug} --hidden-dataset {ref}")
    else:
        competition.staged_public_dataset = version
        steps = (f"stylearena competition configure {competition.slug} --public-dataset {ref}",)
    session.flush()
    return Placement.STAGED, steps


def publish(session: Session, settings: Settings, source_dir: Path, split: DatasetSplit | str | None = None,
            competition_slug: str | None = None, progress: Progress = _noop,
            reference_stats: ReferenceStats | None = metrics_reference_stats,
            allow_unlisted: bool = False, board_fraction: float | None = None,
            board_seed: int = board_split.DEFAULT_SEED) -> PublishResult:
    """Validate, store and record a dataset version; idempotent (same manifest → same row).

    With ``competition_slug`` the version is staged for that competition (see
    :func:`stage_for_competition`). With ``board_fraction`` a new hidden version is split into a
    public and a private board (:func:`apply_board_split`). Flushes but does not commit: the
    caller owns the transaction.

    Raises:
        DatasetError / DatasetInvalid: the set is not publishable (messages name the files).
        arena.core.errors.NotFound: no competition ``competition_slug``.
    """
    split = DatasetSplit(split) if isinstance(split, str) else split
    competition = get_competition(session, competition_slug) if competition_slug else None
    built = build_canonical(Path(source_dir), settings, split, progress, allow_unlisted)
    manifest = built.manifest
    sha = manifest.sha256
    path = store.write_version(settings, manifest)
    version = session.scalar(select(DatasetVersion).where(DatasetVersion.manifest_sha256 == sha))
    created = version is None
    if version is None:
        version = DatasetVersion(
            manifest_sha256=sha, name=manifest.name, split=manifest.split,
            n_content=len(manifest.content), n_style=len(manifest.style), n_pairs=len(manifest.pairs),
            n_references=len(manifest.references),
            storage_path=path.relative_to(settings.datasets_dir).as_posix(), licence=manifest.licence,
        )
        session.add(version)
    split_note = board_split.record_split(version, manifest.pairs, board_fraction, board_seed, created)
    session.flush()
    store_fingerprints(session, version, list(built.fingerprints))
    placement, steps = None, ()
    if competition is not None:
        # Before the (slow) reference statistics: a leak is refused without computing them.
        placement, steps = stage_for_competition(session, settings, competition, version)
        audit.record(session, "publish", competition, {"dataset_version_id": version.id, "sha256": sha,
                                                       "split": version.split, "created": created,
                                                       "placement": placement})
    if version.reference_stats_path is None and reference_stats is not None:
        progress("reference-stats", 0, 1)
        version.reference_stats_path = reference_stats(settings, path, sha)
        progress("reference-stats", 1, 1)
    session.flush()
    return PublishResult(version=version, created=created, conversions=built.conversions, unlisted=built.unlisted,
                         placement=placement, next_steps=steps, board_split_note=split_note)


def publish_dataset(session: Session, settings: Settings, source_dir: Path,
                    split: DatasetSplit | str | None = None, competition_slug: str | None = None,
                    progress: Progress = _noop,
                    reference_stats: ReferenceStats | None = metrics_reference_stats) -> DatasetVersion:
    """Publish ``source_dir`` and return its DatasetVersion (see :func:`publish`)."""
    return publish(session, settings, source_dir, split, competition_slug, progress, reference_stats).version


def retire_version(session: Session, version: DatasetVersion) -> bool:
    """Retire a version: it can no longer be attached or staged; returns False if it already was.

    Boards that show it keep working; staged slots holding it are emptied (the switch they
    announce could no longer happen).
    """
    if version.retired_at is not None:
        return False
    version.retired_at = utcnow()
    for competition in session.scalars(select(Competition).where(or_(
            Competition.staged_public_dataset_id == version.id, Competition.staged_hidden_dataset_id == version.id))):
        if competition.staged_public_dataset_id == version.id:
            competition.staged_public_dataset = None
        if competition.staged_hidden_dataset_id == version.id:
            competition.staged_hidden_dataset = None
    session.flush()
    return True


def version_usage(session: Session) -> dict[int, list[str]]:
    """For each version id, how competitions use it: ``slug (hidden)``, ``slug (staged public)``, ..."""
    usage: dict[int, list[str]] = {}
    for c in session.scalars(select(Competition).order_by(Competition.slug)):
        for version_id, role in ((c.public_dataset_id, "public"), (c.hidden_dataset_id, "hidden"),
                                 (c.staged_public_dataset_id, "staged public"),
                                 (c.staged_hidden_dataset_id, "staged hidden")):
            if version_id is not None:
                usage.setdefault(version_id, []).append(f"{c.slug} ({role})")
    return usage


def list_versions(session: Session) -> list[DatasetVersion]:
    """Every published version, newest first."""
    return list(session.scalars(select(DatasetVersion).order_by(DatasetVersion.id.desc())))


def find_version(session: Session, ref: str) -> DatasetVersion:
    """A version by numeric id or by (a unique prefix of at least 6 of) its manifest sha256.

    Raises:
        DatasetError: none or several match.
    """
    if ref.isdigit() and len(ref) < 6:
        version = session.get(DatasetVersion, int(ref))
        if version is None:
            raise DatasetError("no_such_version", f"No dataset version with id {ref}.")
        return version
    if len(ref) < 6:
        raise DatasetError("no_such_version", "Give a version id or at least 6 characters of its sha256.")
    found = list(session.scalars(select(DatasetVersion).where(DatasetVersion.manifest_sha256.startswith(ref.lower()))))
    if len(found) != 1:
        raise DatasetError("no_such_version", f"{'No' if not found else 'Several'} dataset version(s) match '{ref}'.")
    return found[0]
