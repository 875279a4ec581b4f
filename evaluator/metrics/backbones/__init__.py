"""Loading the four metric backbones once per process, from pinned files or seeded at random.

A file in the weights folder under its manifest name is used as given (a plain state dict,
loaded with ``weights_only=True``); it counts as calibrated only when its sha256 matches the
manifest. A missing file is replaced by a seeded random network (see ``seeded``), and the
result says ``calibrated: false``. Which files exist and verify comes from
``evaluator.weights.calibration_status``, the same answer ``stylearena weights status`` prints.

Every backbone has a digest, a sha256 that identifies the numbers it computes: the file's
sha256 for a loaded file, ``state_digest`` of the parameters for a seeded network
(``Backbones.digests``).
"""
from __future__ import annotations

import pickle
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import torch
from torch import nn

from evaluator.metrics.backbones.art_inception import ArtInception, build_art_inception, seeded_art_inception
from evaluator.metrics.backbones.inception import FidInception, build_fid_inception, seeded_fid_inception
from evaluator.metrics.backbones.lpips_alex import (
    LpipsAlex,
    build_alexnet_trunk,
    load_linear_weights,
    seeded_alexnet_trunk,
)
from evaluator.metrics.backbones.seeded import SEED_SCHEME, state_digest
from evaluator.metrics.backbones.vgg import VggEncoder, build_vgg19_features, seeded_vgg19_features
from evaluator.metrics.errors import BackboneWeightsError
from evaluator.weights import (
    LPIPS_LINEAR_KEY,
    Backbone,
    Calibration,
    WeightState,
    WeightStatus,
    calibration_status,
)

SEEDS = {Backbone.INCEPTION: 20151205, Backbone.VGG19: 19, Backbone.ALEXNET: 2012, Backbone.ART_INCEPTION: 2022}


@dataclass(frozen=True)
class BackboneInfo:
    """Where one backbone's weights came from and their identity (file sha256 or seeded digest)."""

    name: str
    source: str  # "file" or "seeded"
    weight_hash: str  # the file's sha256, or ``uncalibrated:<scheme>:<digest>`` when seeded
    verified: bool
    digest: str  # sha256 of the file, or of the seeded parameters (``state_digest``)


@dataclass(frozen=True)
class Backbones:
    """The loaded networks plus provenance; shared read-only by every score in the process."""

    inception: FidInception
    vgg: VggEncoder
    lpips: LpipsAlex
    art_inception: ArtInception
    info: tuple[BackboneInfo, ...]

    @property
    def calibrated(self) -> bool:
        """True only when every backbone (and the LPIPS linear layers) matched its pinned hash."""
        return all(item.verified for item in self.info)

    @property
    def weight_hashes(self) -> dict[str, str]:
        """Backbone name -> file sha256, or ``uncalibrated:...`` for seeded networks."""
        return {item.name: item.weight_hash for item in self.info}

    @property
    def digests(self) -> dict[str, str]:
        """Backbone name (and ``lpips_linear``) -> sha256 identifying its numbers, file or seeded."""
        return {item.name: item.digest for item in self.info}


def _read_state(path: Path) -> dict[str, torch.Tensor]:
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except (pickle.UnpicklingError, RuntimeError, OSError, EOFError) as exc:
        raise BackboneWeightsError(
            None, f"{path}: not a loadable state dict ({exc}); reinstall it with `stylearena weights install`"
        ) from exc
    if not isinstance(state, dict):
        raise BackboneWeightsError(None, f"{path}: expected a plain state dict, found {type(state).__name__}")
    return state


def _load_into(module: nn.Module, state: dict[str, torch.Tensor], path: Path, prefix: str = "") -> None:
    wanted = module.state_dict()
    subset = {}
    for key, tensor in wanted.items():
        source = state.get(prefix + key)
        if source is None or tuple(source.shape) != tuple(tensor.shape):
            raise BackboneWeightsError(
                None, f"{path}: missing or mis-shaped parameter {prefix + key}; is this the right file?"
            )
        subset[key] = source
    module.load_state_dict(subset, strict=True)


def _from_file_or_seed(
    backbone: Backbone,
    status: WeightStatus,
    build: Callable[[], nn.Module],
    seeded: Callable[[int], nn.Module],
    prefix: str = "",
) -> tuple[nn.Module, BackboneInfo]:
    """The backbone from its manifest file when present (used as given), else seeded."""
    if status.state is not WeightState.MISSING:
        module = build()
        _load_into(module, _read_state(status.path), status.path, prefix)
        sha256 = status.sha256 or ""
        return module.eval(), BackboneInfo(backbone.value, "file", sha256, status.verified, sha256)
    module = seeded(SEEDS[backbone])
    digest = state_digest(module.state_dict())
    return module.eval(), BackboneInfo(
        backbone.value, "seeded", f"uncalibrated:{SEED_SCHEME}:{digest}", False, digest
    )


def load_backbones(weights_dir: Path | None, device: torch.device) -> Backbones:
    """Build the Inception, VGG19, LPIPS-Alex and art Inception networks on ``device`` in inference layout."""
    calibration: Calibration = calibration_status(Path(weights_dir) if weights_dir is not None else None)
    specs = {
        Backbone.INCEPTION: (build_fid_inception, seeded_fid_inception, ""),
        Backbone.VGG19: (build_vgg19_features, seeded_vgg19_features, "features."),
        Backbone.ALEXNET: (build_alexnet_trunk, seeded_alexnet_trunk, "features."),
        Backbone.ART_INCEPTION: (build_art_inception, seeded_art_inception, ""),
    }
    # Files first: a file that does not fit fails before seconds are spent seeding the others.
    order = sorted(specs, key=lambda b: calibration.backbone(b).state is WeightState.MISSING)
    loaded = {b: _from_file_or_seed(b, calibration.backbone(b), *specs[b]) for b in order}
    (inception_net, inception_info), (vgg_features, vgg_info), (alex_trunk, alex_info), (art_net, art_info) = (
        loaded[b] for b in specs
    )
    linear = calibration.lpips_linear
    if linear.state is WeightState.MISSING:
        raise ModuleNotFoundError("the lpips package is not installed (pip install lpips); LPIPS needs its "
                                  "linear layers")
    linear_info = BackboneInfo(LPIPS_LINEAR_KEY, "file", linear.sha256 or "", linear.verified, linear.sha256 or "")
    lpips = LpipsAlex(alex_trunk, load_linear_weights(linear.path))
    networks = [FidInception(inception_net), VggEncoder(vgg_features), lpips, ArtInception(art_net)]
    for net in networks:
        net.to(device=device, memory_format=torch.channels_last)
        net.requires_grad_(False)
    return Backbones(
        networks[0], networks[1], networks[2], networks[3], (inception_info, vgg_info, alex_info, art_info, linear_info)
    )
