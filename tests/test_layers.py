"""The dependency graph is a line: core <- sandbox <- evaluator <- app (services <- web, CLI, demo).

Every import in the platform's modules is read from the source (function-level imports too:
an import deferred for speed is still an arrow), and an arrow against the line fails.
"""
from __future__ import annotations

import ast
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("arena", "evaluator", "sandbox")

# Layers, lowest first; a module may import its own layer and those below it.
LAYERS = (
    ("core", ("arena.core",)),
    ("sandbox", ("sandbox",)),
    ("evaluator", ("evaluator",)),
    ("services", ("arena.services",)),
    ("web", ("arena.web",)),
    ("cli", ("arena.cli", "arena.demo", "arena")),  # entry points: the CLI, the demo, the app factory
)
# The sandbox runs any generator for anyone: it takes a docker host, an image and limits,
# and knows nothing of the platform's rows.
SANDBOX_FORBIDDEN = ("arena.core.models", "arena.core.db", "arena.core.target", "arena.core.store")
# Across the entry points: the web never imports the CLI or the demo (a torch training loop).
WEB_FORBIDDEN = ("arena.cli", "arena.demo")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def platform_modules() -> dict[str, Path]:
    """Every module of the platform's packages (the in-container harness is not imported by them)."""
    found = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            if "harness" in path.relative_to(ROOT).parts:
                continue
            found[module_name(path)] = path
    return found


def imports_of(path: Path, module: str) -> set[str]:
    """Absolute names of the platform modules that ``module`` imports, anywhere in its body."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names)
    return {n for n in names if n.split(".")[0] in PACKAGES}


def layer_of(module: str) -> int:
    best, index = -1, -1
    for i, (_, prefixes) in enumerate(LAYERS):
        for prefix in prefixes:
            if (module == prefix or module.startswith(prefix + ".")) and len(prefix) > best:
                best, index = len(prefix), i
    return index


def _within(name: str, prefixes: tuple[str, ...]) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


def arrows() -> list[tuple[str, str]]:
    """(importer, imported) for every import between platform modules."""
    modules = platform_modules()
    return [(m, target) for m, path in sorted(modules.items()) for target in sorted(imports_of(path, m))]


def layer_counts() -> Counter:
    """Arrows counted per (importer layer, imported layer): the graph the note reports."""
    return Counter((LAYERS[layer_of(a)][0], LAYERS[layer_of(b)][0]) for a, b in arrows()
                   if layer_of(a) != layer_of(b))


def test_no_import_goes_against_the_layers():
    wrong = [f"{a} -> {b}" for a, b in arrows() if layer_of(b) > layer_of(a)]
    assert not wrong, "imports against core <- sandbox <- evaluator <- services <- web/cli:\n" + "\n".join(wrong)


def test_the_sandbox_knows_nothing_of_the_platforms_rows():
    wrong = [f"{a} -> {b}" for a, b in arrows() if a.startswith("sandbox") and _within(b, SANDBOX_FORBIDDEN)]
    assert not wrong, "\n".join(wrong)


def test_the_web_does_not_import_the_cli_or_the_demo():
    wrong = [f"{a} -> {b}" for a, b in arrows() if _within(a, ("arena.web",)) and _within(b, WEB_FORBIDDEN)]
    assert not wrong, "\n".join(wrong)


def test_the_walker_sees_function_level_and_relative_imports(tmp_path):
    # The check is only as good as the walker: a deferred import and a relative one both count.
    pkg = tmp_path / "arena" / "core"
    pkg.mkdir(parents=True)
    source = pkg / "x.py"
    source.write_text("def f():\n    from evaluator.metrics import suite\nfrom . import enums\n")
    found = imports_of(source, "arena.core.x")
    assert {"evaluator.metrics", "evaluator.metrics.suite", "arena.core", "arena.core.enums"} <= found
    assert layer_of("evaluator.metrics.suite") > layer_of("arena.core.x")


if __name__ == "__main__":
    for (src, dst), count in sorted(layer_counts().items()):
        print(f"{src:>10} -> {dst:<10} {count}")
