"""The single ``stylearena`` command for organizers and operators.

Each sub-module owns one area and exposes ``register(group)``; this module only builds the
top-level group, loads settings once per process and maps expected errors to exit codes.
"""
from __future__ import annotations

import sys

import click

from arena.cli import (
    arena_cmd,
    audit_cmd,
    baseline_cmd,
    check_cmd,
    competition_cmd,
    dataset_cmd,
    db_cmd,
    demo_cmd,
    export_cmd,
    notify_cmd,
    rescore_cmd,
    sandbox_cmd,
    score_cmd,
    serve_cmd,
    services_cmd,
    submission_cmd,
    tryit_cmd,
    user_cmd,
    weights_cmd,
    worker_cmd,
)
from arena.core.settings import Settings

SUBCOMMAND_MODULES = (
    db_cmd,
    services_cmd,
    weights_cmd,
    score_cmd,
    check_cmd,
    sandbox_cmd,
    worker_cmd,
    dataset_cmd,
    competition_cmd,
    user_cmd,
    submission_cmd,
    baseline_cmd,
    audit_cmd,
    rescore_cmd,
    notify_cmd,
    arena_cmd,
    export_cmd,
    demo_cmd,
    serve_cmd,
    tryit_cmd,
)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="stylearena")
@click.pass_context
def cli(ctx: click.Context) -> None:
    """StyleArena: run style-transfer competitions (organizer and operator commands)."""
    ctx.ensure_object(dict)
    if "settings" not in ctx.obj:
        ctx.obj["settings"] = Settings.from_env()


for _module in SUBCOMMAND_MODULES:
    _module.register(cli)


def main() -> None:
    """Console-script entry point."""
    cli.main(prog_name="stylearena", obj={})


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
