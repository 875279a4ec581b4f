"""`stylearena demo`: a living demo competition on a fresh machine, then the web site."""
from __future__ import annotations

import click

from arena.cli.common import get_settings
from arena.cli.errors import arena_errors


@click.command("demo")
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface the site binds to.")
@click.option("--port", default=5000, show_default=True, type=click.IntRange(1, 65535), help="TCP port of the site.")
@click.option("--no-serve", is_flag=True, help="Set everything up and score the baselines, but do not serve.")
@click.option("--small", is_flag=True, help="Use the few-pair demo set (faster; one competition).")
def demo_cmd(host: str, port: int, no_serve: bool, small: bool) -> None:
    """Start services, migrate, publish the demo data, score the baselines, serve the site.

    Safe to run again: it reuses the services, data, accounts and scores that exist.
    """
    from arena.core import migrate
    from arena.cli.services_cmd import run_services_script
    from arena.demo.builder import DemoScale
    from arena.demo.orchestrate import ORGANIZER, PARTICIPANT, prepare_demo

    settings = get_settings()
    click.echo("== starting services (Redis, Docker Engine)")
    run_services_script("start", "redis")
    run_services_script("start", "docker")
    if settings.database_url.startswith("postgresql"):
        run_services_script("start", "postgres")
    click.echo("== migrating the database")
    migrate.upgrade(settings.database_url)
    click.echo("== sandbox image")
    _ensure_sandbox_image(settings)
    click.echo("== demo data, accounts and baselines")
    with arena_errors():
        state = prepare_demo(settings, DemoScale.SMALL if small else DemoScale.FULL, log=click.echo)
    url = f"http://{host}:{port}/"
    click.echo("")
    click.echo(f"StyleArena demo: {url}")
    for slug in state.competitions:
        click.echo(f"  competition:  {url}competitions/{slug}")
    for login in (ORGANIZER, PARTICIPANT):
        click.echo(f"  {login.role.value:<12}  user {login.username}  password {login.password}")
    if no_serve:
        return
    from arena.cli.serve_cmd import gunicorn_argv
    from arena.demo.serve import serve_with_worker

    status = serve_with_worker(settings, gunicorn_argv(host, port, workers=2),
                               settings.data_dir / "demo" / "worker.log", log=click.echo)
    if status:
        raise click.ClickException(f"the site exited with status {status}; is port {port} already in use?")


def _ensure_sandbox_image(settings) -> None:
    """Build the sandbox image unless it exists; a clear error when Docker is unusable."""
    from sandbox.errors import SandboxError
    from sandbox.image import ensure_image

    try:
        image_id = ensure_image(settings, log=click.echo)
    except SandboxError as exc:
        raise click.ClickException(f"sandbox image: {exc.message}") from None
    click.echo(f"sandbox image {settings.sandbox.image} ({image_id[:19]})")


def register(cli: click.Group) -> None:
    """Attach this module's commands to the top-level group."""
    cli.add_command(demo_cmd)
