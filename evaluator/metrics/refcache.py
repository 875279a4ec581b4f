"""Reference statistics of a dataset version, and their on-disk cache.

Everything about the reference images that does not depend on a submission — the style
set's Inception features and FID summary, each style image's VGG channel means/stds, each
content image's normalised relu4_1/relu5_1 features — is computed once per dataset version
and stored under ``cache_dir/<key>/``. The key is a sha256 over the dataset identity (its
manifest hash, or the bytes of the referenced files when none is given), the backbone
weight hashes, the metric definition versions, the referenced file names, the reference
protocol and, under the held-out protocol, the names and sha256 of the reference images; a
change in any of them is a different key, never a stale hit (the two protocols never share
an entry).

Under the held-out protocol the FID/KID side (``fid``, ``reference_inception``) comes from
the held-out reference images, while the style VGG statistics stay those of the conditioning
style images (``style_loss`` compares each output with the image its generator was given).

Arrays are plain ``.npy`` files (loaded with ``allow_pickle=False``; content features are
memory-mapped) and a ``meta.json``; a cache directory is written under a temporary name and
renamed into place, so concurrent workers never read a half-written one. Values round-trip
exactly, so cached and freshly computed statistics give bit-identical scores.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from evaluator.metrics.catalog import REFERENCE_PROTOCOL_CONDITIONING, REFERENCE_PROTOCOL_HELD_OUT
from evaluator.metrics.fid import GaussianSummary

FORMAT = "stylearena-refstats-3"  # 3: the art-Inception features of the published ArtFID
STYLE_LAYERS = 5
CONTENT_LAYERS = 2


@dataclass(frozen=True)
class ReferenceStats:
    """Precomputed reference side of every metric for one dataset version and backbone set."""

    key: str
    style_names: tuple[str, ...]
    style_inception: np.ndarray  # [n_styles, 2048] float64, the conditioning style images
    fid: GaussianSummary  # of ``fid_features``: what FID compares the outputs with
    style_means: tuple[np.ndarray, ...]  # per VGG layer: [n_styles, C] float32
    style_stds: tuple[np.ndarray, ...]
    content_names: tuple[str, ...]
    content_sizes: dict[str, tuple[int, int]]  # name -> (width, height) of the original file
    content_targets: dict[str, tuple[np.ndarray, ...]]  # name -> ([C,H,W] relu4_1, relu5_1) float32
    protocol: str = REFERENCE_PROTOCOL_CONDITIONING
    reference_names: tuple[str, ...] = ()  # held-out protocol: the distinct reference images
    reference_inception: np.ndarray | None = None  # held-out protocol: [n_references, 2048] float64
    # Published ArtFID: art-Inception features (native size) of the images it compares with,
    # rows as ``reference_names`` (held-out protocol) or ``style_names`` (conditioning).
    art_inception: np.ndarray | None = None

    @property
    def fid_features(self) -> np.ndarray:
        """The Inception features FID and KID compare the outputs with, under this protocol."""
        return self.style_inception if self.reference_inception is None else self.reference_inception

    def style_index(self) -> dict[str, int]:
        """Style file name -> row in the style arrays."""
        return {name: index for index, name in enumerate(self.style_names)}


def fingerprint_files(root: Path, names: list[str], *, names_too: bool = True) -> str:
    """sha256 over the names and bytes of files (identity of a dataset given without a key).

    ``names_too=False`` with one name: the plain sha256 of that file's bytes.
    """
    digest = hashlib.sha256()
    for name in sorted(set(names)):
        if names_too:
            digest.update(name.encode() + b"\0")
        with (root / name).open("rb") as handle:
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                digest.update(chunk)
        if names_too:
            digest.update(b"\0")
    return digest.hexdigest()


def cache_key(
    dataset_key: str,
    weight_hashes: dict[str, str],
    metric_versions: dict[str, str],
    content_names: list[str],
    style_names: list[str],
    references: list[tuple[str, str, str]] | None = None,
) -> str:
    """The cache key: sha256 of everything the reference statistics depend on.

    ``references``: (style, reference name, sha256) of every held-out reference image used
    (held-out protocol), or None (conditioning-styles protocol).
    """
    material = {
        "protocol": REFERENCE_PROTOCOL_CONDITIONING if references is None else REFERENCE_PROTOCOL_HELD_OUT,
        "references": None if references is None else sorted(map(list, set(references))),
        "format": FORMAT,
        "dataset": dataset_key,
        "weights": dict(sorted(weight_hashes.items())),
        "versions": dict(sorted(metric_versions.items())),
        "contents": sorted(set(content_names)),
        "styles": sorted(set(style_names)),
    }
    return hashlib.sha256(json.dumps(material, sort_keys=True).encode()).hexdigest()


def save(stats: ReferenceStats, cache_dir: Path) -> Path:
    """Write ``stats`` to ``cache_dir/<key>`` atomically; an existing complete entry is kept."""
    cache_dir.mkdir(parents=True, exist_ok=True)
    final = cache_dir / stats.key
    if (final / "meta.json").is_file():
        return final
    tmp = Path(tempfile.mkdtemp(dir=cache_dir, prefix=f".{stats.key[:12]}-"))
    try:
        np.save(tmp / "style_inception.npy", stats.style_inception)
        np.save(tmp / "fid_mu.npy", stats.fid.mu)
        np.save(tmp / "fid_factor.npy", stats.fid.factor)
        np.save(tmp / "fid_trace.npy", np.asarray(stats.fid.trace, dtype=np.float64))
        if stats.reference_inception is not None:
            np.save(tmp / "reference_inception.npy", stats.reference_inception)
        if stats.art_inception is not None:
            np.save(tmp / "art_inception.npy", stats.art_inception)
        for layer in range(STYLE_LAYERS):
            np.save(tmp / f"style_mean_{layer}.npy", stats.style_means[layer])
            np.save(tmp / f"style_std_{layer}.npy", stats.style_stds[layer])
        for index, name in enumerate(stats.content_names):
            for layer, array in enumerate(stats.content_targets[name]):
                np.save(tmp / f"content_{index}_{layer}.npy", array)
        meta = {
            "format": FORMAT,
            "key": stats.key,
            "fid_n": stats.fid.n,
            "style_names": list(stats.style_names),
            "content_names": list(stats.content_names),
            "content_sizes": {name: list(size) for name, size in stats.content_sizes.items()},
            "protocol": stats.protocol,
            "reference_names": list(stats.reference_names),
        }
        # meta.json last: its presence marks a complete entry.
        (tmp / "meta.json").write_text(json.dumps(meta, indent=1))
        try:
            os.rename(tmp, final)
        except OSError:
            if not (final / "meta.json").is_file():
                raise
            # Another worker won the race with identical content; keep theirs.
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return final


def load(cache_dir: Path, key: str) -> ReferenceStats | None:
    """The cached statistics for ``key``, or None when absent or unreadable (then recomputed)."""
    folder = cache_dir / key
    try:
        meta = json.loads((folder / "meta.json").read_text())
        if meta.get("format") != FORMAT or meta.get("key") != key:
            return None

        def read(name: str, mmap: bool = False) -> np.ndarray:
            return np.load(folder / name, allow_pickle=False, mmap_mode="r" if mmap else None)

        content_names = tuple(meta["content_names"])
        protocol = meta["protocol"]
        if protocol not in (REFERENCE_PROTOCOL_CONDITIONING, REFERENCE_PROTOCOL_HELD_OUT):
            return None
        held_out = protocol == REFERENCE_PROTOCOL_HELD_OUT
        return ReferenceStats(
            key=key,
            style_names=tuple(meta["style_names"]),
            style_inception=read("style_inception.npy"),
            fid=GaussianSummary(
                mu=read("fid_mu.npy"),
                trace=float(read("fid_trace.npy")),
                factor=read("fid_factor.npy"),
                n=int(meta["fid_n"]),
            ),
            style_means=tuple(read(f"style_mean_{layer}.npy") for layer in range(STYLE_LAYERS)),
            style_stds=tuple(read(f"style_std_{layer}.npy") for layer in range(STYLE_LAYERS)),
            content_names=content_names,
            content_sizes={name: tuple(size) for name, size in meta["content_sizes"].items()},
            content_targets={
                name: tuple(read(f"content_{index}_{layer}.npy", mmap=True) for layer in range(CONTENT_LAYERS))
                for index, name in enumerate(content_names)
            },
            protocol=protocol,
            reference_names=tuple(meta["reference_names"]),
            reference_inception=read("reference_inception.npy") if held_out else None,
            art_inception=read("art_inception.npy"),
        )
    except (OSError, ValueError, KeyError, TypeError):
        # Missing or damaged entry: the caller recomputes and rewrites it.
        return None


def discard(cache_dir: Path, key: str) -> None:
    """Remove a (damaged) cache entry so that it can be rewritten."""
    shutil.rmtree(cache_dir / key, ignore_errors=True)
