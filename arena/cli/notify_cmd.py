"""`stylearena notifications test|list`: check the SMTP settings, and see which emails went out."""
from __future__ import annotations

import smtplib

import click

from arena.cli.common import cli_session, echo_json, fail, get_settings
from arena.services.notifications import recent_notifications, send_email, test_email


@click.group("notifications")
def notifications_group() -> None:
    """Outcome emails (STYLEARENA_SMTP_*): send a test email, list what was sent or refused."""


@notifications_group.command("test")
@click.argument("address")
def test_cmd(address: str) -> None:
    """Send one test email to ADDRESS through the configured SMTP server."""
    settings = get_settings()
    if not settings.notifications_enabled:
        fail("Notifications are off: set STYLEARENA_SMTP_HOST (and STYLEARENA_SMTP_PORT, STYLEARENA_SMTP_FROM) first.")
    try:
        send_email(settings, test_email(settings, address))
    except (smtplib.SMTPException, OSError) as exc:
        fail(f"{settings.smtp_host}:{settings.smtp_port} did not take the email ({type(exc).__name__}: {exc}). "
             "Check STYLEARENA_SMTP_HOST/PORT, STYLEARENA_SMTP_STARTTLS and the login "
             "(STYLEARENA_SMTP_USERNAME/PASSWORD).")
    click.echo(f"sent a test email to {address} through {settings.smtp_host}:{settings.smtp_port}")


@notifications_group.command("list")
@click.option("--failed", is_flag=True, help="Only those the SMTP server did not take.")
@click.option("--limit", type=click.IntRange(min=1), default=50, show_default=True, help="How many, newest first.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def list_cmd(failed: bool, limit: int, as_json: bool) -> None:
    """Emails sent (or refused), newest first: when, to whom, about what."""
    with cli_session(get_settings()) as session:
        rows = [{"id": n.id, "created_at": n.created_at.isoformat(), "kind": n.kind.value, "recipient": n.recipient,
                 "subject": n.subject, "sent": n.sent_at is not None, "error": n.error}
                for n in recent_notifications(session, failed_only=failed, limit=limit)]
    if as_json:
        echo_json(rows)
        return
    if not rows:
        click.echo("no failed emails" if failed else "no emails sent yet")
    for r in rows:
        state = "sent" if r["sent"] else f"NOT SENT: {r['error']}"
        click.echo(f"{r['created_at'][:19]}  {r['recipient']:<30} {r['subject']}  [{state}]")


def register(cli: click.Group) -> None:
    """Attach this module's commands to the top-level group."""
    cli.add_command(notifications_group)
