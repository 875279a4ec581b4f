"""Dataset versions: the manifest format, validation, staging for runs and the public download.

Publishing (which computes reference statistics with the metrics) lives in
``arena.services.publishing``. See ``datasets/FORMAT.md``.
"""
from arena.core.datasets.errors import DatasetError, DatasetInvalid

__all__ = ["DatasetError", "DatasetInvalid"]
