"""`stylearena services`: start/stop the project-local Redis, PostgreSQL and Docker Engine."""
from __future__ import annotations

import subprocess

import click

from arena.core.settings import PROJECT_ROOT

SERVICES_SCRIPT = PROJECT_ROOT / "scripts" / "services.sh"


def run_services_script(action: str, service: str = "all") -> None:
    """Run scripts/services.sh; raises ClickException with its message on failure."""
    proc = subprocess.run(["bash", str(SERVICES_SCRIPT), action, service], text=True, capture_output=True)
    if proc.stderr:
        click.echo(proc.stderr.rstrip(), err=True)
    if proc.stdout:
        click.echo(proc.stdout.rstrip())
    if proc.returncode != 0:
        raise click.ClickException(f"services {action} {service} failed (exit {proc.returncode})")


@click.group("services")
def services_group() -> None:
    """Start, stop or inspect the services the platform runs on."""


@services_group.command("start")
@click.argument("service", default="all", type=click.Choice(["all", "redis", "postgres", "docker"]))
def start(service: str) -> None:
    """Start SERVICE (idempotent)."""
    run_services_script("start", service)


@services_group.command("stop")
@click.argument("service", default="all", type=click.Choice(["all", "redis", "postgres", "docker"]))
def stop(service: str) -> None:
    """Stop SERVICE (idempotent)."""
    run_services_script("stop", service)


@services_group.command("status")
def status() -> None:
    """Show which services are running."""
    run_services_script("status")


def register(cli: click.Group) -> None:
    """Attach this module's commands to the top-level group."""
    cli.add_command(services_group)
