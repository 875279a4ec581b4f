"""Publishing a dataset directory as an immutable, content-addressed DatasetVersion."""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable, Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from arena.core.store import datasets as store
from arena.core.datasets.errors import DatasetError, DatasetInvalid
from arena.core.imageset import CONTENT_DIR, PAIRS_NAME, REFERENCES_DIR, STYLE_DIR
from arena.core.datasets.manifest import MANIFEST_NAME, ImageEntry, Manifest, PairEntry, ReferenceEntry, load_manifest
from arena.core.datasets.validate import (
    Signature,
    check_declared_hash,
    check_structure,
    find_conditioning_copies,
    find_duplicates,
    normalise_image,
    signature,
)
from arena.core.enums import DatasetSplit
from arena.core.models import Competition, DatasetVersion
from arena.services.competitions import get_competition
from arena.core.settings import Settings


class Progress(Protocol):
    """Told how far publishing got: ``progress(stage, done, total)``."""

    def __call__(self, stage: str, done: int, total: int) -> None: ...


# Computes the reference statistics of a stored version; returns where they were cached.
ReferenceStats = Callable[[Settings, Path, str], "str | None"]


@dataclass(frozen=True)
class PublishResult:
    """The published version and whether this call created it (False: it already existed)."""

    version: DatasetVersion
    created: bool



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


def build_canonical(source_dir: Path, settings: Settings, split: DatasetSplit | None,
                    progress: Progress = _noop) -> Manifest:
    """Validate a source directory, store its images as blobs and return the canonical manifest.

    Blobs of a set that fails validation stay in the store unreferenced; they are
    content-addressed, so they cost disk space only and a corrected set reuses them.

    Raises:
        DatasetInvalid: listing every problem found, each naming its file.
    """
    source_dir = Path(source_dir)
    manifest = load_manifest(source_dir, split)
    problems = check_structure(manifest, source_dir)
    if problems:
        raise DatasetInvalid(problems)
    renamed: dict[tuple[str, str], str] = {}
    checked: dict[str, list[ImageEntry]] = {CONTENT_DIR: [], STYLE_DIR: []}
    references: list[ReferenceEntry] = []
    signatures: dict[str, Signature] = {}
    total = len(manifest.content) + len(manifest.style) + len(manifest.references)
    done = 0
    listed = [(CONTENT_DIR, e) for e in manifest.content] + [(STYLE_DIR, e) for e in manifest.style]
    listed += [(REFERENCES_DIR, r) for r in manifest.references]
    for folder, entry in listed:
        path = source_dir / folder / entry.file
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
            signatures[f"{folder}/{stored_name}"] = signature(image.data)
            (references if folder == REFERENCES_DIR else checked[folder]).append(stored)
        done += 1
        progress("check", done, total)
    for folder, entries in (*checked.items(), (REFERENCES_DIR, references)):
        names = [e.file for e in entries]
        problems += [f"{folder}/{n}: two source files convert to this name." for n in sorted(set(names)) if names.count(n) > 1]
        problems += find_duplicates([(f"{folder}/{e.file}", e.sha256) for e in entries])
    shown = [(f"{folder}/{e.file}", e.sha256, signatures[f"{folder}/{e.file}"])
             for folder, entries in checked.items() for e in entries]
    problems += find_conditioning_copies(
        [(f"{REFERENCES_DIR}/{r.file}", r.sha256, signatures[f"{REFERENCES_DIR}/{r.file}"]) for r in references], shown)
    if problems:
        raise DatasetInvalid(problems)
    pairs = tuple(PairEntry(p.pair_id, renamed[(CONTENT_DIR, p.content)], renamed[(STYLE_DIR, p.style)])
                  for p in manifest.pairs)
    references = [replace(r, style=renamed[(STYLE_DIR, r.style)]) for r in references]
    return replace(manifest, content=tuple(checked[CONTENT_DIR]), style=tuple(checked[STYLE_DIR]), pairs=pairs,
                   references=tuple(references))


def _image_hashes(settings: Settings, version: DatasetVersion) -> dict[str, str]:
    data = json.loads(store.read_stored_manifest(settings, version))
    return {e["sha256"]: f"{kind}/{e['file']}" for kind in ("content", "style", "references")
            for e in data.get(kind, [])}


def check_no_leak(settings: Settings, competition: Competition, version: DatasetVersion) -> None:
    """Refuse to pair a public and a hidden version that share an image (it would leak).

    Raises:
        DatasetInvalid: naming each shared file.
    """
    other = competition.public_dataset if version.split == DatasetSplit.HIDDEN else competition.hidden_dataset
    if other is None or other.id == version.id:
        return
    mine, theirs = _image_hashes(settings, version), _image_hashes(settings, other)
    shared = sorted(set(mine) & set(theirs))
    if shared:
        raise DatasetInvalid([
            f"{mine[sha]}: identical to {theirs[sha]} of the {other.split.value} version "
            f"{other.manifest_sha256[:12]} of '{competition.slug}'; public and hidden splits must be disjoint."
            for sha in shared])


def assign_to_competition(settings: Settings, competition: Competition, version: DatasetVersion) -> None:
    """Make ``version`` the competition's current public or hidden version (by its split)."""
    check_no_leak(settings, competition, version)
    if version.split == DatasetSplit.PUBLIC:
        competition.public_dataset = version
    else:
        competition.hidden_dataset = version


def publish(session: Session, settings: Settings, source_dir: Path, split: DatasetSplit | str | None = None,
            competition_slug: str | None = None, progress: Progress = _noop,
            reference_stats: ReferenceStats | None = metrics_reference_stats) -> PublishResult:
    """Validate, store and record a dataset version; idempotent (same manifest → same row).

    Flushes but does not commit: the caller owns the transaction.

    Raises:
        DatasetError / DatasetInvalid: the set is not publishable (messages name the files).
        arena.core.errors.NotFound: no competition ``competition_slug``.
    """
    split = DatasetSplit(split) if isinstance(split, str) else split
    competition = get_competition(session, competition_slug) if competition_slug else None
    manifest = build_canonical(Path(source_dir), settings, split, progress)
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
        session.flush()
    if version.reference_stats_path is None and reference_stats is not None:
        progress("reference-stats", 0, 1)
        version.reference_stats_path = reference_stats(settings, path, sha)
        progress("reference-stats", 1, 1)
    if competition is not None:
        assign_to_competition(settings, competition, version)
    session.flush()
    return PublishResult(version=version, created=created)


def publish_dataset(session: Session, settings: Settings, source_dir: Path,
                    split: DatasetSplit | str | None = None, competition_slug: str | None = None,
                    progress: Progress = _noop,
                    reference_stats: ReferenceStats | None = metrics_reference_stats) -> DatasetVersion:
    """Publish ``source_dir`` and return its DatasetVersion (see :func:`publish`)."""
    return publish(session, settings, source_dir, split, competition_slug, progress, reference_stats).version


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
