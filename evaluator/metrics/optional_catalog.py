"""The optional metrics (issue 13): names, labels, directions, versions, and which need no weights.

Standard library only, like ``catalog``: the web process reads it to label boards and the CLI
to validate ``competition configure --metrics``. ``catalog.METRICS`` stays the set every
evaluation computes; a competition adds any of ``OPTIONAL_METRICS`` (its
``optional_metrics`` column, empty by default), and any of them may be its ranking metric.

Versions name the definition and the resolution it is measured at; they are stored on every
score row (``definition_version``). They are not part of the scorer identity, which would
otherwise change for every competition, chosen or not: instead a board ranks an optional
metric only on rows of the version below (``evaluator.statistics.board.board_entries``).
"""
from __future__ import annotations

from enum import Enum

from evaluator.metrics.catalog import METRICS, RESOLUTION_POLICY, MetricInfo


class OptionalMetric(str, Enum):
    """The metrics an organizer may add to a competition."""

    SSIM = "ssim"
    MS_SSIM = "ms_ssim"
    COLOUR_HISTOGRAM = "colour_hist"
    GRAM_LOSS = "gram_loss"
    CFSD = "cfsd"
    LPIPS_GREY = "lpips_grey"
    DIVERSITY = "diversity"


OPTIONAL_METRICS: dict[str, MetricInfo] = {
    info.name: info
    for info in (
        MetricInfo(
            OptionalMetric.SSIM.value, "SSIM", higher_is_better=True,
            version=f"ssim-tm-gauss11-s1.5-valid-{RESOLUTION_POLICY}-1",
            description="Structural similarity (Wang et al. 2004), output vs content; no weights",
        ),
        MetricInfo(
            OptionalMetric.MS_SSIM.value, "MS-SSIM", higher_is_better=True,
            version=f"msssim-tm-5scales-valid-{RESOLUTION_POLICY}-min161up-1",
            description="Multi-scale SSIM (Wang et al. 2003), output vs content; no weights",
        ),
        MetricInfo(
            OptionalMetric.COLOUR_HISTOGRAM.value, "Colour hist.",
            version="histogan-rgbuv-h64-iq0.02-max256-hellinger-1",
            description="HistoGAN's RGB-uv colour-histogram distance, output vs style (as StyleID reports it); no weights",
        ),
        MetricInfo(
            OptionalMetric.GRAM_LOSS.value, "Gram loss",
            version=f"gram-vgg19tv-relu1_1-5_1-chw-mse-{RESOLUTION_POLICY}-1",
            description="Gatys et al.'s Gram-matrix style loss at VGG19 relu1_1 … relu5_1, output vs style",
        ),
        MetricInfo(
            OptionalMetric.CFSD.value, "CFSD",
            version=f"cfsd-vgg19tv-relu3_1-kl-content-output-{RESOLUTION_POLICY}-1",
            description="StyleID's content feature structural distance: KL of VGG19 relu3_1 patch-similarity maps, "
            "content vs output",
        ),
        MetricInfo(
            OptionalMetric.LPIPS_GREY.value, "LPIPS (grey)",
            version=f"lpips-alex-v0.1-grey-pil-L-{RESOLUTION_POLICY}-1",
            description="LPIPS (AlexNet, v0.1) between the greyscale output and greyscale content: structure without colour",
        ),
        MetricInfo(
            OptionalMetric.DIVERSITY.value, "Diversity", higher_is_better=True,
            version=f"lpips-alex-v0.1-output-vs-repeat-seed0-seed1-{RESOLUTION_POLICY}-1",
            description="Mean LPIPS (AlexNet, v0.1) between a pair's outputs under two seeds: 0 for a deterministic "
            "generator; the generator runs every pair twice",
        ),
    )
}

# Computed from the pixels alone: meaningful whatever backbone weights are installed, so their
# scores are calibrated by construction (stored calibrated=True even under seeded backbones).
WEIGHT_FREE: frozenset[str] = frozenset({
    OptionalMetric.SSIM.value, OptionalMetric.MS_SSIM.value, OptionalMetric.COLOUR_HISTOGRAM.value,
})

# Need a second pass of the generator over every pair, with another seed (sandbox/harness/seeding.py):
# the worker asks the sandbox for it only when the competition chose one of these.
NEEDS_REPEAT_RUN: frozenset[str] = frozenset({OptionalMetric.DIVERSITY.value})

# Every optional metric is a mean over pairs, so each gets a bootstrap interval.
OPTIONAL_PER_PAIR_METRICS: tuple[str, ...] = tuple(OPTIONAL_METRICS)

WEIGHT_FREE_NOTE = ("Computed from the pixels alone (no network weights): calibrated by construction, so these "
                    "numbers keep their meaning when the backbones are seeded.")


class UnknownOptionalMetric(ValueError):
    """A name in a ``--metrics`` list that is not an optional metric."""


def parse_optional_metrics(text: str | None) -> tuple[str, ...]:
    """A stored or typed list (``"ssim, ms_ssim"``) as names in catalog order, duplicates dropped.

    Empty, ``None`` or ``"none"`` is the empty list. Raises ``UnknownOptionalMetric`` naming
    the valid choices.
    """
    if text is None or text.strip().lower() in ("", "none"):
        return ()
    names = [part.strip().lower() for part in text.split(",") if part.strip()]
    unknown = [name for name in names if name not in OPTIONAL_METRICS]
    if unknown:
        core = [name for name in unknown if name in METRICS]
        hint = f" ({', '.join(core)} {'is' if len(core) == 1 else 'are'} always computed)" if core else ""
        raise UnknownOptionalMetric(
            f"Unknown optional metric {', '.join(repr(n) for n in unknown)}{hint}; choose from "
            f"{', '.join(OPTIONAL_METRICS)} (comma-separated), or 'none'.")
    return tuple(name for name in OPTIONAL_METRICS if name in names)


def format_optional_metrics(names: tuple[str, ...] | list[str]) -> str:
    """The stored form: comma-separated names in catalog order ("" for none)."""
    return ",".join(name for name in OPTIONAL_METRICS if name in set(names))


def metric_info(name: str) -> MetricInfo:
    """The catalog entry of a core or optional metric; raises KeyError for neither."""
    return METRICS[name] if name in METRICS else OPTIONAL_METRICS[name]


def competition_metrics(optional_metrics: str | None) -> tuple[MetricInfo, ...]:
    """The columns a competition's board shows: every core metric, then its chosen optional ones."""
    return tuple(METRICS.values()) + tuple(OPTIONAL_METRICS[n] for n in parse_optional_metrics(optional_metrics))
