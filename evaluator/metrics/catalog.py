"""The metric catalog: each metric's name, label, sort direction and definition version.

Standard library only: the web process reads it to label and sort boards without loading
torch. The order of ``METRICS`` is the order boards show their columns in.

The version string changes whenever a definition changes in a way that moves numbers
(layers, resize policy, estimator); it is stored beside every score and is part of the
reference-statistics cache key, so numbers of different definitions are never mixed.
"""
from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class MetricName(str, Enum):
    """The metrics every evaluation produces."""

    FID = "fid"
    KID = "kid"
    LPIPS = "lpips"
    CONTENT_LOSS = "content_loss"
    STYLE_LOSS = "style_loss"
    # Wright & Ommer's ArtFID as the art-fid package computes it (art Inception, native size).
    ART_FID = "art_fid"
    # (1 + LPIPS)(1 + FID) on this platform's FID (ImageNet Inception, distinct references):
    # what "art_fid" meant before it followed the published tool.
    ART_FID_DISTINCT = "art_fid_distinct"


@dataclass(frozen=True)
class MetricInfo:
    """Static facts about one metric, for the leaderboard (labels, sort direction) and provenance."""

    name: str
    label: str
    higher_is_better: bool = False
    version: str = "1"
    description: str = ""


# Resolution policy shared by the VGG and LPIPS metrics; part of their versions.
RESOLUTION_POLICY = "native-max512"

# The one sentence shown wherever an uncalibrated number is.
UNCALIBRATED_NOTE = ("Scored with seeded random networks instead of the published weights: these numbers rank "
                     "the entries of this board against each other but are not comparable with FIDs "
                     "published elsewhere.")

# The metric a new competition ranks by.
DEFAULT_RANKING_METRIC = MetricName.ART_FID.value

# Which images FID and KID compare the outputs with (``ScoreResult.reference_protocol``): the
# held-out reference images of the styles the pairs use when the dataset version has them
# (format 2), else the distinct conditioning style images (format 1).
REFERENCE_PROTOCOL_HELD_OUT = "held-out-references"
REFERENCE_PROTOCOL_CONDITIONING = "conditioning-styles"

# "-refs-1": the reference set follows that rule (the previous "…-1" always used the conditioning styles).
FID_VERSION = "fid-pt2015-pool3-bilinear299-f64-refs-1"
KID_VERSION = "kid-poly3-unbiased-s100-seed2020-refs-1"
LPIPS_VERSION = f"lpips-alex-v0.1-{RESOLUTION_POLICY}-1"
ART_FID_FORMULA_VERSION = "artfid-(1+lpips)(1+fid)-1"
# ArtFID as published: the art-fid 0.0.2 package's features (art Inception, ToTensor input at
# native size, upscaled to a 75-px short side when smaller), one reference per output, FID∞
# (seeded, 15 points from 5,000) at N >= 5,000 else plain FID, LPIPS at native size.
ART_FID_PUBLISHED_VERSION = "artfid-wright-ommer-artfid0.0.2-artinception-native-min75-onepair-fidinf5000s2022-1"
LPIPS_NATIVE_VERSION = "lpips-alex-v0.1-native-1"


def art_fid_version(fid_version: str, lpips_version: str) -> str:
    """The distinct variant's version: its formula's, plus the versions of the FID and LPIPS it is made of.

    It moves whenever FID or LPIPS does, so a change to either must change its version too.
    """
    return f"{ART_FID_FORMULA_VERSION}[{fid_version};{lpips_version}]"


METRICS: dict[str, MetricInfo] = {
    info.name: info
    for info in (
        MetricInfo(
            MetricName.ART_FID.value,
            "ArtFID",
            version=f"{ART_FID_PUBLISHED_VERSION}[{LPIPS_NATIVE_VERSION}]",
            description="ArtFID as Wright & Ommer publish it (the art-fid package): (1 + LPIPS)·(1 + FID) on an "
            "Inception fine-tuned on art, native resolution, one reference per output; the default ranking metric",
        ),
        MetricInfo(
            MetricName.ART_FID_DISTINCT.value,
            "ArtFID (distinct refs)",
            version=art_fid_version(FID_VERSION, LPIPS_VERSION),
            description="(1 + LPIPS)·(1 + FID) on this board's FID and LPIPS (ImageNet Inception, each "
            "reference image once): not the published ArtFID",
        ),
        MetricInfo(
            MetricName.FID.value,
            "FID",
            version=FID_VERSION,
            description="Fréchet Inception Distance, outputs vs the held-out reference images (else the distinct style images)",
        ),
        MetricInfo(
            MetricName.KID.value,
            "KID",
            version=KID_VERSION,
            description="Kernel Inception Distance (unbiased MMD², polynomial kernel)",
        ),
        MetricInfo(
            MetricName.LPIPS.value,
            "LPIPS",
            version=LPIPS_VERSION,
            description="LPIPS (AlexNet, v0.1) between each output and its content image",
        ),
        MetricInfo(
            MetricName.CONTENT_LOSS.value,
            "Content loss",
            version=f"content-vgg19tv-relu4_1+relu5_1-mvn-{RESOLUTION_POLICY}-1",
            description="MSE of mean-variance-normalised VGG19 features, output vs content",
        ),
        MetricInfo(
            MetricName.STYLE_LOSS.value,
            "Style loss",
            version=f"style-vgg19tv-relu1_1-5_1-meanstd-{RESOLUTION_POLICY}-1",
            description="Squared error of VGG19 channel means and stds, output vs style",
        ),
    )
}

PER_PAIR_METRICS: tuple[str, ...] = (
    MetricName.LPIPS.value,
    MetricName.CONTENT_LOSS.value,
    MetricName.STYLE_LOSS.value,
)


def metric_versions() -> dict[str, str]:
    """Name -> definition version of every metric (stored with each evaluation)."""
    return {name: info.version for name, info in METRICS.items()}
