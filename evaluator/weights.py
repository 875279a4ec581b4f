"""The pinned metric-backbone weights: manifest, status, install from a folder, fetch.

An official leaderboard must never silently use the wrong weights, and none of the
reference tools checks the whole hash of what it loads; this module does. Files live flat
in one folder (``Settings.resolved_weights_dir``) under their manifest names. ``install``
copies and verifies; ``fetch`` downloads from the official URLs with verification (on a
machine without internet it fails with a message saying what to do instead).
"""
from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import re
import shutil
import tempfile
import urllib.error
import urllib.request
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

CHUNK = 1 << 20
_SHA256 = re.compile(r"[0-9a-f]{64}")


class Backbone(str, Enum):
    """The networks the metrics run on."""

    INCEPTION = "inception"
    VGG19 = "vgg19"
    ALEXNET = "alexnet"
    # Wright & Ommer's Inception fine-tuned on art: the network of ArtFID as published.
    ART_INCEPTION = "art_inception"


@dataclass(frozen=True)
class WeightFile:
    """One pinned file: where it comes from and what it must hash to.

    ``sha256``/``size`` are None for a file whose publisher gives no checksum: the organizer
    pins the hash of the copy they trust at install (``PINS_NAME`` in the weights folder), and
    until then the file counts as unpinned (used as given, never calibrated).
    """

    backbone: Backbone
    filename: str
    url: str
    sha256: str | None
    size: int | None


MANIFEST: tuple[WeightFile, ...] = (
    WeightFile(
        Backbone.INCEPTION,
        "pt_inception-2015-12-05-6726825d.pth",
        "https://github.com/mseitzer/pytorch-fid/releases/download/fid_weights/"
        "pt_inception-2015-12-05-6726825d.pth",
        "6726825d0af5f729cebd5821db510b11b1cfad8faad88a03f1befd49fb9129b2",
        95_628_359,
    ),
    WeightFile(
        Backbone.VGG19,
        "vgg19-dcbb9e9d.pth",
        "https://download.pytorch.org/models/vgg19-dcbb9e9d.pth",
        "dcbb9e9dad569fff7a846263a77324fc34978fea2bfb039c012d710e1776ae44",
        574_673_361,
    ),
    WeightFile(
        Backbone.ALEXNET,
        "alexnet-owt-7be5be79.pth",
        "https://download.pytorch.org/models/alexnet-owt-7be5be79.pth",
        "7be5be791159472b1fbf3c69796f7cb30dca7ad8466c2df70058c37116cdee02",
        244_408_911,
    ),
    # The file name and URL the art-fid package (0.0.2) loads; its publisher gives no checksum.
    WeightFile(
        Backbone.ART_INCEPTION,
        "art_inception.pth",
        "https://huggingface.co/matthias-wright/art_inception/resolve/main/art_inception.pth",
        None,
        None,
    ),
)
# Organizer-pinned hashes of files without a published checksum: ``{file name: sha256}``.
PINS_NAME = "pins.json"
# The LPIPS v0.1 AlexNet linear layers ship inside the ``lpips`` package (``weights/v0.1/
# alex.pth``, read from the installed package, never copied into the weights folder); pinned
# all the same, and part of what "calibrated" means.
LPIPS_LINEAR_KEY = "lpips_linear"
LPIPS_LINEAR = WeightFile(
    Backbone.ALEXNET,
    "alex.pth",
    "https://github.com/richzhang/PerceptualSimilarity/raw/master/lpips/weights/v0.1/alex.pth",
    "df73285e35b22355a2df87cdb6b70b343713b667eddbda73e1977e0c860835c0",
    6_009,
)
LPIPS_LINEAR_SHA256 = LPIPS_LINEAR.sha256


class WeightState(str, Enum):
    """What ``status`` found for one manifest entry."""

    MISSING = "missing"
    VERIFIED = "verified"
    MISMATCH = "checksum_mismatch"
    # Present, but neither the manifest nor the organizer pinned a hash for it.
    UNPINNED = "unpinned"


class WeightsError(Exception):
    """Base of weight-manager failures; ``code`` is stable, ``message`` says what to do."""

    code = "weights_error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ChecksumMismatch(WeightsError):
    """A file's size or sha256 differs from the manifest; it was not installed."""

    code = "checksum_mismatch"


class WeightsMissing(WeightsError):
    """A file the manifest names is not in the source folder."""

    code = "weights_missing"


class PinRequired(WeightsError):
    """A file without a published checksum was offered for install without the organizer's pin."""

    code = "pin_required"


class FetchFailed(WeightsError):
    """A download failed (no network, HTTP error, or bad checksum)."""

    code = "fetch_failed"


@dataclass(frozen=True)
class WeightStatus:
    """The state of one manifest file in a weights folder."""

    entry: WeightFile
    path: Path
    state: WeightState
    sha256: str | None = None
    size: int | None = None
    pinned_sha256: str | None = None  # what it must hash to: the manifest's pin, else the organizer's

    @property
    def expected_sha256(self) -> str | None:
        """The hash this file is checked against (None: unpinned)."""
        return self.entry.sha256 or self.pinned_sha256

    @property
    def verified(self) -> bool:
        """True when the file exists and matches the manifest."""
        return self.state is WeightState.VERIFIED


def sha256_file(path: Path) -> str:
    """Hex sha256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def manifest_entry(backbone: Backbone) -> WeightFile:
    """The manifest entry of one backbone."""
    return next(entry for entry in MANIFEST if entry.backbone is backbone)


def inspect_file(entry: WeightFile, path: Path, pinned_sha256: str | None = None) -> WeightStatus:
    """Hash one file and compare it with its manifest entry (or, lacking one, the organizer's pin)."""
    pin = None if entry.sha256 else pinned_sha256
    if not path.is_file():
        return WeightStatus(entry, path, WeightState.MISSING, pinned_sha256=pin)
    size = path.stat().st_size
    digest = sha256_file(path)
    expected = entry.sha256 or pin
    if expected is None:
        return WeightStatus(entry, path, WeightState.UNPINNED, digest, size)
    ok = digest == expected and (entry.size is None or size == entry.size)
    return WeightStatus(entry, path, WeightState.VERIFIED if ok else WeightState.MISMATCH, digest, size, pin)


def read_pins(weights_dir: Path | None) -> dict[str, str]:
    """The organizer's pins in ``weights_dir`` (file name -> sha256); none when absent or unreadable."""
    if weights_dir is None:
        return {}
    try:
        data = json.loads((Path(weights_dir) / PINS_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict):
        return {}
    return {str(k): str(v).lower() for k, v in data.items() if isinstance(v, str) and _SHA256.fullmatch(v.lower())}


def _write_pin(weights_dir: Path, filename: str, sha256: str) -> None:
    pins = read_pins(weights_dir)
    pins[filename] = sha256
    with tempfile.NamedTemporaryFile("w", dir=weights_dir, prefix=".pins-", delete=False, encoding="utf-8") as tmp:
        json.dump(pins, tmp, indent=1, sort_keys=True)
    os.replace(tmp.name, Path(weights_dir) / PINS_NAME)


def weights_status(
    weights_dir: Path | None, manifest: tuple[WeightFile, ...] | None = None
) -> list[WeightStatus]:
    """The state of every manifest file in ``weights_dir`` (all missing when it is None)."""
    folder = Path(weights_dir) if weights_dir is not None else None
    pins = read_pins(folder)
    statuses = []
    for entry in MANIFEST if manifest is None else manifest:
        if folder is None:
            statuses.append(WeightStatus(entry, Path(entry.filename), WeightState.MISSING))
        else:
            statuses.append(inspect_file(entry, folder / entry.filename, pins.get(entry.filename)))
    return statuses


def lpips_linear_path() -> Path | None:
    """Where the installed ``lpips`` package keeps its v0.1 AlexNet linear layers (None: not installed)."""
    spec = importlib.util.find_spec("lpips")
    if spec is None or spec.origin is None:
        return None
    return Path(spec.origin).parent / "weights" / "v0.1" / LPIPS_LINEAR.filename


def lpips_linear_status() -> WeightStatus:
    """The LPIPS linear layers of the installed package, checked against their pin."""
    path = lpips_linear_path()
    if path is None:
        return WeightStatus(LPIPS_LINEAR, Path(LPIPS_LINEAR.filename), WeightState.MISSING)
    return inspect_file(LPIPS_LINEAR, path)


@dataclass(frozen=True)
class Calibration:
    """What a weights folder gives the metrics: the one rule for "calibrated".

    ``stylearena weights status`` prints it and ``MetricSuite`` loads its networks from it,
    so the two can never disagree: scores are calibrated only when every backbone file and
    the LPIPS linear layers match their pins.
    """

    backbones: tuple[WeightStatus, ...]
    lpips_linear: WeightStatus

    @property
    def calibrated(self) -> bool:
        """True when every backbone file and the LPIPS linear layers verified."""
        return all(status.verified for status in (*self.backbones, self.lpips_linear))

    def backbone(self, backbone: Backbone) -> WeightStatus:
        """The status of one backbone's file."""
        return next(status for status in self.backbones if status.entry.backbone is backbone)


def calibration_status(weights_dir: Path | None) -> Calibration:
    """Hash every pinned file the metrics would use with ``weights_dir`` (None: no folder)."""
    return Calibration(tuple(weights_status(weights_dir)), lpips_linear_status())


def _install_one(entry: WeightFile, source: Path, dest_dir: Path, pin: str | None = None) -> WeightStatus:
    pin = None if entry.sha256 else (pin.lower() if pin else None)
    found = inspect_file(entry, source, pin)
    if found.state is WeightState.MISSING:
        size = f"{entry.size} bytes" if entry.size else "no published size"
        raise WeightsMissing(f"{source} not found (expected {entry.filename}, {size})")
    if found.state is WeightState.UNPINNED:
        raise PinRequired(
            f"{entry.filename} has no published checksum, so you must pin the copy you trust: check it "
            f"(its sha256 is {found.sha256}), then run `stylearena weights install --from DIR --pin "
            f"{entry.filename}={found.sha256}`; not installed"
        )
    if found.state is WeightState.MISMATCH:
        raise ChecksumMismatch(
            f"{source}: sha256 {found.sha256} ({found.size} bytes) does not match the pinned "
            f"{found.expected_sha256}; not installed. Get the file from {entry.url}"
        )
    dest_dir.mkdir(parents=True, exist_ok=True)
    target = dest_dir / entry.filename
    # Copy to a temporary name and rename, so a reader never sees a half-written file.
    with tempfile.NamedTemporaryFile(dir=dest_dir, prefix=".installing-", delete=False) as tmp:
        tmp_path = Path(tmp.name)
    try:
        shutil.copyfile(source, tmp_path)
        if sha256_file(tmp_path) != found.expected_sha256:
            raise ChecksumMismatch(f"{target}: copy does not match the pinned sha256; not installed")
        os.replace(tmp_path, target)
    finally:
        tmp_path.unlink(missing_ok=True)
    if pin is not None:
        # The organizer's pin lives beside the files it pins, so `weights status` and the suite read it.
        _write_pin(dest_dir, entry.filename, pin)
    return WeightStatus(entry, target, WeightState.VERIFIED, found.sha256, found.size, pin)


def install_weights(
    source_dir: Path, dest_dir: Path, manifest: tuple[WeightFile, ...] | None = None,
    pins: dict[str, str] | None = None,
) -> tuple[list[WeightStatus], list[WeightsError]]:
    """Copy every manifest file found in ``source_dir`` into ``dest_dir``, verifying each.

    ``pins``: file name -> sha256 the organizer vouches for, for files without a published
    checksum (``art_inception.pth``); such a file is refused (``PinRequired``) without one.

    Returns:
        The installed files and, separately, the refusals (missing, unpinned or wrong
        checksum); nothing that fails verification is ever placed in ``dest_dir``.
    """
    installed: list[WeightStatus] = []
    refused: list[WeightsError] = []
    pins = {name: sha.lower() for name, sha in (pins or {}).items()}
    for entry in MANIFEST if manifest is None else manifest:
        try:
            installed.append(
                _install_one(entry, Path(source_dir) / entry.filename, Path(dest_dir), pins.get(entry.filename))
            )
        except WeightsError as exc:
            refused.append(exc)
    return installed, refused


def fetch_weights(
    dest_dir: Path,
    timeout_s: float = 30.0,
    only_missing: bool = True,
    manifest: tuple[WeightFile, ...] | None = None,
    pins: dict[str, str] | None = None,
) -> list[WeightStatus]:
    """Download every manifest file from its official URL into ``dest_dir``, verifying each.

    A file without a published checksum is downloaded only with the organizer's pin (``pins``,
    as in ``install_weights``); without one the download stops with the hash to check.

    Raises:
        FetchFailed: on the first file that cannot be downloaded or does not verify; the
            message names the URL and says how to install the files offline instead.
    """
    dest_dir = Path(dest_dir)
    results = []
    known_pins = {**read_pins(dest_dir), **{name: sha.lower() for name, sha in (pins or {}).items()}}
    for entry in MANIFEST if manifest is None else manifest:
        current = inspect_file(entry, dest_dir / entry.filename, known_pins.get(entry.filename))
        if only_missing and current.verified:
            results.append(current)
            continue
        dest_dir.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=dest_dir, prefix=".fetching-") as tmp:
            part = Path(tmp) / entry.filename
            try:
                with urllib.request.urlopen(entry.url, timeout=timeout_s) as response, part.open("wb") as out:
                    shutil.copyfileobj(response, out, CHUNK)
            except (urllib.error.URLError, OSError, TimeoutError) as exc:
                reason = getattr(exc, "reason", exc)
                raise FetchFailed(
                    f"cannot download {entry.filename} from {entry.url}: {reason}. This machine "
                    "may have no internet access: download the files elsewhere and run "
                    "`stylearena weights install --from DIR`."
                ) from exc
            try:
                results.append(_install_one(entry, part, dest_dir, known_pins.get(entry.filename)))
            except (ChecksumMismatch, PinRequired) as exc:
                raise FetchFailed(f"downloaded {entry.filename} does not verify: {exc.message}") from exc
    return results
