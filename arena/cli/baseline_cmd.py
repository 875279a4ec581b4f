"""`stylearena baseline`: add, list and remove an organizer's reference generators."""
from __future__ import annotations

from pathlib import Path

import click
import sqlalchemy as sa

from arena.cli.common import cli_session, echo_json, get_settings
from arena.cli.errors import arena_errors
from arena.core.enums import UserRole
from arena.core.errors import NotFound
from arena.core.models import User
from arena.services.audit import cli_actor
from arena.services.baselines import add_baseline, list_baselines, remove_baseline
from arena.services.competitions import get_competition


def _organizer(session, username: str | None) -> User:
    """The named organizer, or the only organizer when there is exactly one."""
    if username:
        user = session.scalar(sa.select(User).where(User.username == username))
        if user is None:
            raise NotFound("no_such_user", f"No user '{username}'.")
        return user
    organizers = list(session.scalars(sa.select(User).where(User.role.in_([UserRole.ORGANIZER, UserRole.ADMIN]))))
    if len(organizers) != 1:
        raise click.ClickException(
            "Say which organizer owns the baseline with --as USERNAME"
            + ("" if organizers else " (there is no organizer yet: stylearena user create NAME --organizer)") + ".")
    return organizers[0]


@click.group("baseline")
def baseline_group() -> None:
    """Post reference generators: quota-exempt, shown on the board as unranked reference lines."""


@baseline_group.command("add")
@click.argument("slug")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--label", required=True, help="The row's name on the board, e.g. 'AdaIN (reference)'.")
@click.option("--as", "username", help="The organizer who owns it (default: the only organizer).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def add_cmd(slug: str, file: Path, label: str, username: str | None, as_json: bool) -> None:
    """Upload FILE as a baseline of SLUG; it is queued for scoring like any upload."""
    from sandbox.errors import UploadRejected  # noqa: PLC0415

    settings = get_settings()
    with arena_errors(), cli_session(settings) as session:
        competition = get_competition(session, slug)
        try:
            sub = add_baseline(session, settings, _organizer(session, username), competition, file, label,
                               actor=cli_actor())
        except UploadRejected as exc:
            raise click.ClickException(f"[{exc.code}] {exc.message}") from None
        if as_json:
            echo_json({"id": sub.id, "label": sub.label, "status": sub.status.value, "competition": slug})
        else:
            click.echo(f"baseline {sub.id} '{sub.label}' added to '{slug}' ({sub.status.value}); it shows on the "
                       "board as an unranked reference line once scored")


@baseline_group.command("list")
@click.argument("slug")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def list_cmd(slug: str, as_json: bool) -> None:
    """The baselines of SLUG."""
    with arena_errors(), cli_session(get_settings()) as session:
        subs = list_baselines(session, get_competition(session, slug))
        rows = [{"id": s.id, "label": s.label, "status": s.status.value, "owner": s.owner.username,
                 "created_at": s.created_at.isoformat()} for s in subs]
    if as_json:
        echo_json(rows)
        return
    if not rows:
        click.echo(f"no baselines in '{slug}' (stylearena baseline add {slug} FILE --label TEXT)")
    for r in rows:
        click.echo(f"{r['id']:>6}  {r['status']:<12} {r['label']}  ({r['owner']}, {r['created_at'][:16]})")


@baseline_group.command("remove")
@click.argument("slug")
@click.argument("submission_id", type=int)
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def remove_cmd(slug: str, submission_id: int, yes: bool) -> None:
    """Delete baseline SUBMISSION_ID of SLUG (its scores go with it)."""
    with arena_errors(), cli_session(get_settings()) as session:
        competition = get_competition(session, slug)
        if not yes and not click.confirm(f"remove baseline {submission_id} from '{slug}'?", err=True):
            raise click.ClickException("Nothing changed.")
        sub = remove_baseline(session, competition, submission_id, actor=cli_actor())
        click.echo(f"removed baseline {submission_id} '{sub.label}' from '{slug}'")


def register(cli: click.Group) -> None:
    """Attach this module's commands to the top-level group."""
    cli.add_command(baseline_group)
