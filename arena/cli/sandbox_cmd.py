"""`stylearena sandbox`: build the sandbox image, try an upload locally, sweep stale containers."""
from __future__ import annotations

import tempfile
from pathlib import Path

import click

from arena.cli.common import echo_json, get_settings


def register(cli: click.Group) -> None:
    """Attach this module's commands to the top-level group."""
    cli.add_command(sandbox)


@click.group()
def sandbox() -> None:
    """Run untrusted generators in hardened Docker containers."""


@sandbox.command("build-image")
@click.option("--recipe", default=None, help="Build this runtime recipe (`stylearena sandbox images` lists them); "
                                             "default: the base image, as before.")
@click.option("--all", "build_all", is_flag=True, help="Build every runtime recipe.")
@click.option("--force", is_flag=True, help="Rebuild even when the recipe's image exists.")
@click.option("--cache-dir", type=click.Path(path_type=Path), default=None,
              help="Where .debs and wheels are cached (default /var/cache/stylearena).")
@click.option("--wheel", type=click.Path(path_type=Path), default=None, help="The CPU torch wheel to install.")
@click.option("--mirror", default=None, help="Debian mirror for debootstrap (default: apt's configured one).")
def build_image_cmd(recipe: str | None, build_all: bool, force: bool, cache_dir: Path | None, wheel: Path | None,
                    mirror: str | None) -> None:
    """Build the CPU sandbox image offline (debootstrap + torch wheel + harness), cached by recipe hash.

    With --recipe or --all, also the runtime images layered on it (sandbox/recipes.py).
    """
    from sandbox.errors import SandboxError
    from sandbox.image import DEFAULT_CACHE_DIR, ImageRecipe, apt_mirror, build_image

    settings = get_settings()
    if recipe is not None or build_all:
        _build_recipes(settings, list(_recipe_names(recipe, build_all)), cache_dir or DEFAULT_CACHE_DIR, force)
        return
    recipe = ImageRecipe(mirror=mirror or apt_mirror(), **({"torch_wheel": wheel} if wheel else {}))
    try:
        image_id = build_image(settings.docker_host, recipe, cache_dir or DEFAULT_CACHE_DIR,
                               log=lambda m: click.echo(f"[build-image] {m}", err=True), force=force)
    except SandboxError as exc:
        raise click.ClickException(f"[{exc.code}] {exc.message}") from exc
    click.echo(f"stylearena-sandbox:{recipe.digest()} (also :latest) {image_id}")


def _recipe_names(recipe: str | None, build_all: bool) -> tuple[str, ...]:
    from sandbox.recipes import RECIPES, UnknownRecipe, get_recipe

    if recipe is not None and build_all:
        raise click.UsageError("Give --recipe NAME or --all, not both.")
    if build_all:
        return tuple(RECIPES)
    try:
        return (get_recipe(recipe).name,)
    except UnknownRecipe as exc:
        raise click.BadParameter(str(exc), param_hint="--recipe") from None


def _build_recipes(settings, names: list[str], cache_dir: Path, force: bool) -> None:
    import time

    from sandbox.errors import SandboxError
    from sandbox.runtime_images import build_runtime_image

    for name in names:
        started = time.monotonic()
        try:
            # --force rebuilds the recipe's own layer, never the base under it.
            built = build_runtime_image(settings, name, cache_dir, force=force and name != "base",
                                        log=lambda m: click.echo(f"[build-image] {m}", err=True))
        except SandboxError as exc:
            raise click.ClickException(f"[{exc.code}] {exc.message}") from exc
        click.echo(f"{built.recipe} (version {built.version}) {built.ref} {built.image_id} "
                   f"[{time.monotonic() - started:.1f}s]")


@sandbox.command("images")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def images_cmd(as_json: bool) -> None:
    """List the runtime recipes a competition can choose, and whether each is built on this host."""
    from sandbox.errors import SandboxError
    from sandbox.recipes import RECIPES, build_command
    from sandbox.runtime_images import list_runtime_images

    try:
        images = list_runtime_images(get_settings())
    except SandboxError as exc:
        raise click.ClickException(f"[{exc.code}] {exc.message}") from exc
    rows = [{**image.provenance(), "ref": image.ref, "built": image.image_id is not None,
             "contents": RECIPES[image.recipe].summary} for image in images]
    if as_json:
        echo_json(rows)
        return
    for row in rows:
        state = f"{row['ref']} {row['image_id'][:19]}" if row["built"] else f"not built ({build_command(row['recipe'])})"
        click.echo(f"{row['recipe']:<12} v{row['version']:<3} {state}")
        click.echo(f"{'':<17}{row['contents']}")


@sandbox.command("try")
@click.argument("submission", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--pairs", "pairs_dir", required=True, type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="A local image set: content/, style/ and pairs.csv.")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Keep the outputs here (must be empty); default a temporary directory.")
@click.option("--timeout", type=int, default=None, help="Wall-clock limit in seconds (at most the smoke limit).")
@click.option("--runtime-image", "recipe", default="base", show_default=True, metavar="RECIPE",
              help="The runtime image to run in, as a competition on it would (`stylearena sandbox images`).")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
def try_cmd(submission: Path, pairs_dir: Path, out_dir: Path | None, timeout: int | None, recipe: str,
            as_json: bool) -> None:
    """Run SUBMISSION on a local public set through the same runner, harness and validation."""
    from sandbox.errors import SandboxError
    from arena.core.limits import LimitLoosened
    from evaluator.runtime import runner_for
    from sandbox.recipes import UnknownRecipe, get_recipe
    from sandbox.runner import SandboxRunner
    from sandbox.upload import validate_upload
    from sandbox.validation import validate_outputs

    settings = get_settings()
    try:
        get_recipe(recipe)
    except UnknownRecipe as exc:
        raise click.BadParameter(str(exc), param_hint="--runtime-image") from None
    limits = settings.sandbox.run_limits(smoke=True)
    try:
        if timeout is not None:
            limits = limits.tightened(timeout_s=timeout)
    except LimitLoosened as exc:
        raise click.BadParameter(str(exc), param_hint="--timeout") from exc
    with tempfile.TemporaryDirectory(prefix="stylearena-try-") as scratch:
        out = out_dir or Path(scratch) / "outputs"
        try:
            info = validate_upload(submission, settings.max_upload_mb * 1024 * 1024)
            click.echo(f"upload ok: {info.format.value}, {info.size} bytes, sha256 {info.sha256[:12]}", err=True)
            runner, _ = runner_for(SandboxRunner(settings.docker_host, settings.sandbox.image), settings, recipe)
            result = runner.run(submission, info.format, pairs_dir, out, limits,
                                labels={"stylearena.submission": f"try-{info.sha256[:12]}"})
            click.echo(result.log, err=True, nl=False)
            validate_outputs(out, pairs_dir)
        except SandboxError as exc:
            if exc.log:
                click.echo(exc.log, err=True, nl=False)
            raise click.ClickException(f"[{exc.code}] {exc.message}") from exc
        if as_json:
            echo_json({"report": result.report, "duration_s": result.duration_s, "image_id": result.image_id})
        else:
            kept = f"outputs in {out}" if out_dir else "pass --out DIR to keep the outputs"
            click.echo(f"ok: {result.report.get('pairs_written', '?')} outputs valid in {result.duration_s:.2f}s "
                       f"(peak RSS {result.report.get('peak_rss_mb', '?')} MB); {kept}")


@sandbox.command("sweep")
def sweep_cmd() -> None:
    """Remove sandbox containers whose deadline has passed (left behind by dead workers)."""
    from sandbox.errors import SandboxError
    from sandbox.sweeper import sweep_expired

    try:
        removed = sweep_expired(get_settings().docker_host)
    except SandboxError as exc:
        raise click.ClickException(f"[{exc.code}] {exc.message}") from exc
    click.echo(f"removed {removed} expired sandbox container(s)")
