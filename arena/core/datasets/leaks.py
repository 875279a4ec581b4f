"""The split-leak check: no image of a hidden version in any public version of the platform.

A hidden version is compared with every public version (and a public one with every hidden
version), whichever competition uses them: a public image of another competition, or of an
earlier public version, is as downloadable as the current one. Images match exactly (sha256)
or approximately (``arena.core.datasets.perceptual``: re-encoded, resized). Fingerprints are
stored per version at publishing (``DatasetImageHash``); versions published before they
existed are fingerprinted from the store the first time a check needs them.
"""
from __future__ import annotations

import json

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from arena.core.datasets.errors import DatasetError
from arena.core.datasets.perceptual import Fingerprint, Labelled, find_matches, fingerprint, from_signed, to_signed
from arena.core.enums import DatasetSplit
from arena.core.models import Competition, DatasetImageHash, DatasetVersion
from arena.core.settings import Settings
from arena.core.store import datasets as store

IMAGE_KINDS = ("content", "style", "references")


def store_fingerprints(session: Session, version: DatasetVersion, images: list[Labelled]) -> None:
    """Record the fingerprints of a version's images (once; later calls change nothing)."""
    if session.scalar(select(DatasetImageHash.id).where(DatasetImageHash.dataset_version_id == version.id).limit(1)):
        return
    session.add_all(DatasetImageHash(dataset_version_id=version.id, path=i.label, sha256=i.sha256,
                                     phash=to_signed(i.print.phash), mean_level=i.print.mean_level) for i in images)
    session.flush()


def fingerprints_of(session: Session, settings: Settings, version: DatasetVersion) -> list[Labelled]:
    """The stored fingerprints of a version's images, computed from the store when missing."""
    rows = list(session.scalars(select(DatasetImageHash).where(DatasetImageHash.dataset_version_id == version.id)))
    if rows:
        return [Labelled(r.path, r.sha256, Fingerprint(from_signed(r.phash), r.mean_level)) for r in rows]
    manifest = json.loads(store.read_stored_manifest(settings, version))
    root = store.dataset_path(settings, version)
    images = [Labelled(f"{kind}/{e['file']}", e["sha256"], fingerprint((root / kind / e["file"]).read_bytes()))
              for kind in IMAGE_KINDS for e in manifest.get(kind, [])]
    store_fingerprints(session, version, images)
    return images


def users_of(session: Session, version_id: int) -> list[str]:
    """Slugs of the competitions that show or stage the version."""
    return list(session.scalars(select(Competition.slug).where(or_(
        Competition.public_dataset_id == version_id, Competition.hidden_dataset_id == version_id,
        Competition.staged_public_dataset_id == version_id, Competition.staged_hidden_dataset_id == version_id,
    )).order_by(Competition.slug)))


def find_leaks(session: Session, settings: Settings, version: DatasetVersion) -> list[str]:
    """Problems for every image the version shares with a version of the other split.

    Returns one message per (image, other image), naming both files, the other version and
    the competitions that use it; an empty list when the splits are disjoint.
    """
    other_split = DatasetSplit.PUBLIC if version.split == DatasetSplit.HIDDEN else DatasetSplit.HIDDEN
    mine = fingerprints_of(session, settings, version)
    problems = []
    others = session.scalars(select(DatasetVersion).where(DatasetVersion.split == other_split,
                                                          DatasetVersion.id != version.id).order_by(DatasetVersion.id))
    for other in others:
        users = users_of(session, other.id)
        where = (f"the {other_split.value} version {other.manifest_sha256[:12]} ({other.name}, id {other.id}"
                 f"{', used by ' + ', '.join(users) if users else ''})")
        try:
            theirs = fingerprints_of(session, settings, other)
        except DatasetError as exc:
            if other.retired_at is not None:
                continue  # out of service and its files gone: nothing left to compare or to leak from
            problems.append(f"{where}: cannot be compared ({exc.message}); restore its files or retire it "
                            f"(stylearena dataset retire {other.id}).")
            continue
        for m in find_matches(mine, theirs):
            how = ("identical to" if m.exact else
                   f"a near-duplicate ({m.bits} of 64 hash bits, {m.levels} grey levels apart) of")
            problems.append(f"{m.image.label}: {how} {m.other.label} of {where}; public and hidden splits "
                            f"must be disjoint.")
    return problems
