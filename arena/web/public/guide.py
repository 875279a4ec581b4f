"""The participant guide of a competition, built from the live settings, data and sandbox facts.

Everything it states is read where it is defined (settings, the dataset manifests, the
sandbox image's recipe, the charging rule), so the guide cannot drift from the platform.
"""
from __future__ import annotations

from dataclasses import dataclass

from arena.core.datasets.errors import DatasetError
from arena.core.datasets.staging import stored_manifest
from arena.core.models import Competition, DatasetVersion
from arena.core.settings import Settings
from arena.services.final_choices import final_rule
from arena.services.submissions import charging_rule
from arena.services.upload_rules import MAX_LABEL_CHARS, UPLOAD_SUFFIXES
from sandbox import environment
from sandbox.recipes import get_recipe


@dataclass(frozen=True)
class SizeRange:
    """Smallest and largest width and height of a set's images of one kind."""

    min_w: int
    max_w: int
    min_h: int
    max_h: int

    def __str__(self) -> str:
        def span(lo: int, hi: int) -> str:
            return str(lo) if lo == hi else f"{lo}–{hi}"

        return f"{span(self.min_w, self.max_w)} × {span(self.min_h, self.max_h)} px"


@dataclass(frozen=True)
class SplitSizes:
    """Image sizes of one dataset version, as the generator will receive them."""

    name: str
    pairs: int
    content: SizeRange | None
    style: SizeRange | None
    references: int

    @property
    def sizes_differ(self) -> bool:
        return self.content is not None and self.style is not None and str(self.content) != str(self.style)


def _range(entries: list[dict]) -> SizeRange | None:
    sized = [(e["width"], e["height"]) for e in entries if e.get("width") and e.get("height")]
    if not sized:
        return None
    ws, hs = [w for w, _ in sized], [h for _, h in sized]
    return SizeRange(min(ws), max(ws), min(hs), max(hs))


def split_sizes(settings: Settings, version: DatasetVersion | None) -> SplitSizes | None:
    """The sizes of a version's images (None without a version; ranges None if its files are gone)."""
    if version is None:
        return None
    try:
        manifest = stored_manifest(settings, version)
    except DatasetError:
        return SplitSizes(version.name, version.n_pairs, None, None, version.n_references)
    return SplitSizes(version.name, version.n_pairs, _range(manifest["content"]), _range(manifest["style"]),
                      version.n_references)


@dataclass(frozen=True)
class Guide:
    """What the guide template shows."""

    environment: str
    torch_version: str
    # Which torch to save .pt/.pt2 files with (sandbox.environment, checked against the image).
    saver_advice: str
    tested_saver_torch: str
    device: str
    smoke_timeout_s: int
    timeout_s: int
    memory_mb: int
    cpus: float
    output_mb: int
    max_upload_mb: int
    upload_suffixes: tuple[str, ...]
    max_label_chars: int
    charging_rule: str
    public: SplitSizes | None
    hidden: SplitSizes | None
    final_rule: str = ""  # arena.services.final_choices.final_rule
    # The competition's runtime image recipe (sandbox.recipes): "name (version N)".
    runtime: str = ""


def build_guide(settings: Settings, competition: Competition) -> Guide:
    """The guide of ``competition`` under ``settings``."""
    sandbox = settings.sandbox
    recipe = get_recipe(competition.runtime_image or "base")
    return Guide(
        environment=recipe.summary, runtime=f"{recipe.name} (version {recipe.version})",
        torch_version=environment.torch_version(),
        saver_advice=environment.saver_advice(), tested_saver_torch=environment.TESTED_SAVER_TORCH,
        device="a CUDA GPU" if sandbox.use_gpu else "the CPU (no GPU)",
        smoke_timeout_s=sandbox.run_limits(smoke=True).timeout_s, timeout_s=sandbox.timeout_s,
        memory_mb=sandbox.memory_mb, cpus=sandbox.cpus, output_mb=sandbox.output_mb,
        max_upload_mb=settings.max_upload_mb, upload_suffixes=UPLOAD_SUFFIXES, max_label_chars=MAX_LABEL_CHARS,
        charging_rule=charging_rule(competition),
        public=split_sizes(settings, competition.public_dataset),
        hidden=split_sizes(settings, competition.hidden_dataset),
        final_rule=final_rule(competition),
    )
