"""Per-image fingerprints of published dataset versions, for the leak check."""
from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from arena.core.models.base import Base


class DatasetImageHash(Base):
    """One image of a published version: its sha256 and perceptual fingerprint.

    Stored once at publishing (or the first time a check needs it), so the leak check
    compares numbers instead of decoding every public image of the platform each time.
    """

    __tablename__ = "dataset_image_hashes"

    id: Mapped[int] = mapped_column(primary_key=True)
    dataset_version_id: Mapped[int] = mapped_column(sa.ForeignKey("dataset_versions.id", ondelete="CASCADE"))
    path: Mapped[str] = mapped_column(sa.String(260))  # e.g. "content/c0.png"
    sha256: Mapped[str] = mapped_column(sa.String(64), index=True)
    phash: Mapped[int] = mapped_column(sa.BigInteger)  # arena.core.datasets.perceptual, stored signed
    mean_level: Mapped[int] = mapped_column(sa.SmallInteger)

    __table_args__ = (sa.UniqueConstraint("dataset_version_id", "path", name="uq_dataset_image_hashes_path"),)
