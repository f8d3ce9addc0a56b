"""Flask CLI commands: demo data, users, RQ workers and the cron scheduler."""

from __future__ import annotations

import click
from flask import Flask, current_app

from agency import jobs
from agency.auth.models import Role
from agency.errors import AgencyError
from agency.extensions import db


def register(app: Flask) -> None:
    """Add the commands to `flask`."""
    app.cli.add_command(demo)
    app.cli.add_command(create_user_command)
    app.cli.add_command(worker)
    app.cli.add_command(cron)


@click.command("demo")
@click.option("--quiet", is_flag=True, help="Do not print the demo logins.")
def demo(quiet: bool) -> None:
    """Load the demo data (idempotent) and print the demo logins."""
    from agency.demo import DEMO_PASSWORD, load_demo

    logins = load_demo()
    db.session.commit()
    if not quiet:
        click.echo(f"Demo logins (password for all: {DEMO_PASSWORD}):")
        for email, role, detail in logins:
            click.echo(f"  {role:<11} {email:<34} {detail}")


@click.command("create-user")
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.option("--role", type=click.Choice([r.value for r in Role]), required=True)
@click.option("--client", "client_code", help="Client code, for a client user.")
@click.option("--language", type=click.Choice(["nl", "en"]), default="nl")
@click.password_option()
def create_user_command(
    email: str, name: str, role: str, client_code: str | None, language: str, password: str
) -> None:
    """Create a back-office or client-portal user."""
    import sqlalchemy as sa

    from agency.auth.operations import create_user
    from agency.clients.models import Client

    client = None
    if client_code:
        client = db.session.scalar(sa.select(Client).where(Client.code == client_code))
        if client is None:
            raise click.ClickException(f"no client with code {client_code!r}")
    try:
        user = create_user(email, name, password, Role(role), client=client, language=language)
    except AgencyError as exc:
        raise click.ClickException(str(exc)) from exc
    db.session.commit()
    click.echo(f"created {user.role.value} {user.email}")


@click.command("worker")
@click.option("--burst", is_flag=True, help="Stop when the queue is empty.")
def worker(burst: bool) -> None:
    """Run an RQ worker for the app's queue (needs REDIS_URL)."""
    try:
        jobs.run_worker(current_app._get_current_object(), burst=burst)
    except RuntimeError as exc:
        raise click.ClickException(str(exc)) from exc


@click.command("cron")
def cron() -> None:
    """Run RQ's cron scheduler with the periodic jobs (needs REDIS_URL)."""
    try:
        jobs.run_cron(current_app._get_current_object())
    except RuntimeError as exc:
        raise click.ClickException(str(exc)) from exc
