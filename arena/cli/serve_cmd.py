"""`stylearena serve`: the web site under gunicorn, built by the app factory in each worker."""
from __future__ import annotations

import os
import sys

import click

APP_FACTORY = "arena:create_app()"


def default_workers() -> int:
    """Two sync workers per core plus one (gunicorn's advice), capped for small machines."""
    return min(2 * (os.cpu_count() or 1) + 1, 8)


def gunicorn_argv(host: str, port: int, workers: int, threads: int = 1, access_log: bool = False) -> list[str]:
    """The gunicorn command line serving the app factory on ``host:port``."""
    argv = [
        sys.executable, "-m", "gunicorn",
        "--bind", f"{host}:{port}",
        "--workers", str(workers),
        # Uploads may take a while on slow links; the sandbox work happens in RQ workers.
        "--timeout", "120",
        "--graceful-timeout", "20",
        "--forwarded-allow-ips", "127.0.0.1",
        # Build the app once in the master: workers fork with the metric catalog (and torch)
        # already imported instead of each loading it on its own.
        "--preload",
    ]
    if threads > 1:
        argv += ["--worker-class", "gthread", "--threads", str(threads)]
    if access_log:
        argv += ["--access-logfile", "-"]
    return argv + [APP_FACTORY]


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to bind.")
@click.option("--port", default=5000, show_default=True, type=click.IntRange(1, 65535), help="TCP port.")
@click.option("--workers", type=click.IntRange(1, 64), default=None, help="Worker processes [default: 2×cores+1, ≤8].")
@click.option("--threads", type=click.IntRange(1, 64), default=4, show_default=True,
              help="Threads per worker (>1 uses gunicorn's gthread worker, which keeps connections alive).")
@click.option("--access-log/--no-access-log", default=False, show_default=True)
@click.option("--dry-run", is_flag=True, help="Print the gunicorn command instead of running it.")
def serve(host: str, port: int, workers: int | None, threads: int, access_log: bool, dry_run: bool) -> None:
    """Serve the web site with gunicorn (settings come from STYLEARENA_* in each worker)."""
    argv = gunicorn_argv(host, port, workers or default_workers(), threads, access_log)
    if dry_run:
        click.echo(" ".join(argv))
        return
    click.echo(f"StyleArena on http://{host}:{port}/", err=True)
    # Replace this process so gunicorn receives signals (Ctrl-C, SIGTERM from a supervisor) directly.
    os.execv(argv[0], argv)


def register(cli: click.Group) -> None:
    """Attach this module's commands to the top-level group."""
    cli.add_command(serve)
