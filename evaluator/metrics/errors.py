"""Expected failures of the metrics engine, each with a stable ``code`` and an actionable message.

``ScoringError`` is the participant's fault (bad outputs or bad input folders); the pipeline
maps it to a failed evaluation with that code. ``MetricComputationError`` is the platform's
(numerics that do not check out, a weights file that does not fit the network): it must never
be shown as the participant's fault, and the pipeline may retry or alert on it.
"""
from __future__ import annotations


class MetricsError(Exception):
    """Base of every metrics-engine error; ``code`` is stable, ``message`` says what to do."""

    default_code = "metrics_error"

    def __init__(self, code: str | None, message: str) -> None:
        super().__init__(message)
        self.code = code or self.default_code
        self.message = message

    def to_dict(self) -> dict[str, str]:
        """The code and message, as stored on an evaluation."""
        return {"code": self.code, "message": self.message}

    def __repr__(self) -> str:
        return f"{type(self).__name__}(code={self.code!r}, message={self.message!r})"


class ScoringError(MetricsError):
    """The inputs cannot be scored: a missing/extra/undecodable/wrong-size output, a bad pairs file.

    Codes: ``missing_output``, ``extra_output``, ``not_png``, ``wrong_size``, ``not_rgb``,
    ``non_finite``, ``too_few_images``, ``image_too_small``, ``unreadable_image``,
    ``bad_pairs``, ``missing_input``.
    """

    default_code = "invalid_input"


class MetricComputationError(MetricsError):
    """A platform-side failure while computing a metric (numerics check, unusable weights file,
    or a ``ScoreState`` fed out of order: ``bad_state``)."""

    default_code = "metric_computation"


class FrechetDistanceError(MetricComputationError):
    """The fast trace of the Fréchet distance disagrees with its eigen-based check."""

    default_code = "fid_numerics"


class BackboneWeightsError(MetricComputationError):
    """A weights file exists but cannot be loaded into the network it is named for."""

    default_code = "bad_weights_file"
