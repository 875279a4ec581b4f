"""`stylearena user`: create accounts (organizers included) from the command line."""
from __future__ import annotations

import click
from sqlalchemy import select

from arena.cli.common import cli_session, echo_json, get_settings
from arena.cli.errors import arena_errors
from arena.core.enums import UserRole
from arena.core.models import User
from arena.services.accounts import create_user


@click.group("user")
def user_group() -> None:
    """Manage accounts."""


@user_group.command("create")
@click.argument("username")
@click.option("--email", help="The account's email address.")
@click.option("--organizer", is_flag=True, help="Give the account the organizer role.")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True,
              help="The password (prompted for when not given).")
@click.option("--json", "as_json", is_flag=True, help="Print the account as JSON.")
def create_cmd(username: str, email: str | None, organizer: bool, password: str, as_json: bool) -> None:
    """Create the account USERNAME."""
    role = UserRole.ORGANIZER if organizer else UserRole.PARTICIPANT
    with arena_errors(), cli_session(get_settings()) as session:
        user = create_user(session, username, password, email=email, role=role)
        if as_json:
            echo_json({"id": user.id, "username": user.username, "role": user.role.value, "email": user.email})
        else:
            click.echo(f"created {role.value} '{username}' (id {user.id})")


@user_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def list_cmd(as_json: bool) -> None:
    """List the accounts."""
    with cli_session(get_settings()) as session:
        users = list(session.scalars(select(User).order_by(User.id)))
        if as_json:
            echo_json([{"id": u.id, "username": u.username, "role": u.role.value} for u in users])
            return
        for u in users:
            click.echo(f"{u.id:>4}  {u.username:<24} {u.role.value}")


def register(cli: click.Group) -> None:
    """Attach this module's commands to the top-level group."""
    cli.add_command(user_group)
