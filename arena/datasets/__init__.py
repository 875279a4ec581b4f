"""Dataset versions: the manifest format, validation, content-addressed storage, publishing,
staging for runs and the public download. See ``datasets/FORMAT.md``."""
from arena.datasets.download import public_download
from arena.datasets.errors import DatasetError, DatasetInvalid
from arena.datasets.manifest import Manifest, load_manifest
from arena.datasets.publish import (
    PublishResult,
    assign_to_competition,
    find_version,
    list_versions,
    publish,
    publish_dataset,
)
from arena.datasets.staging import stage_dataset, stored_manifest
from arena.datasets.store import dataset_path

__all__ = [
    "DatasetError",
    "DatasetInvalid",
    "Manifest",
    "PublishResult",
    "assign_to_competition",
    "dataset_path",
    "find_version",
    "list_versions",
    "load_manifest",
    "public_download",
    "publish",
    "publish_dataset",
    "stage_dataset",
    "stored_manifest",
]
