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
    app.cli.add_command(handoffs)
    app.cli.add_command(pay_link)


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
        _echo_demo_pay_link()


def _echo_demo_pay_link() -> None:
    """Print one demo debtor's payment link and the answer to its check."""
    import sqlalchemy as sa

    from agency.cases.models import Case, CaseStatus, Debtor
    from agency.letters.links import payment_url

    case = db.session.scalar(
        sa.select(Case)
        .join(Debtor, Debtor.id == Case.debtor_id)
        .where(Case.status == CaseStatus.DUNNING, Debtor.postcode.is_not(None))
        .order_by(Case.reference)
        .limit(1)
    )
    if case is None:
        return
    url = payment_url(case)
    db.session.commit()
    click.echo(f"A debtor's payment page: {url} (check: postcode {case.debtor.postcode})")


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


@click.command("pay-link")
@click.argument("reference")
def pay_link(reference: str) -> None:
    """Print the payment link of an open case (the one its letters print)."""
    import sqlalchemy as sa

    from agency.cases.models import Case
    from agency.letters.links import payment_url

    case = db.session.scalar(sa.select(Case).where(Case.reference == reference.replace(" ", "")))
    if case is None or not case.is_open:
        raise click.ClickException(f"no case with reference {reference!r} open")
    url = payment_url(case)
    db.session.commit()
    click.echo(url)


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


@click.group("handoffs")
def handoffs() -> None:
    """Hand over invoices from files, as the portal and the API do."""


@handoffs.command("import")
@click.argument("client_ref")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, readable=True))
@click.option("--dry-run", is_flag=True, help="Only check the rows; import nothing.")
@click.option("--skip-invalid", is_flag=True, help="Import the valid rows, report the others.")
def import_handoff_command(client_ref: str, path: str, dry_run: bool, skip_invalid: bool) -> None:
    """Check and import FILE for CLIENT (its id or code); print the report as JSON."""
    import json
    from pathlib import Path

    import sqlalchemy as sa

    from agency.clients.models import Client, HandoffSource, HandoffStatus
    from agency.clients.operations import HandoffError, confirm, mapped_table, receive_file
    from agency.clients.tasks import import_handoff

    condition = Client.code == client_ref
    if client_ref.isdigit():
        condition = sa.or_(condition, Client.id == int(client_ref))
    client = db.session.scalar(sa.select(Client).where(condition))
    if client is None:
        raise click.ClickException(f"no client with id or code {client_ref!r}")
    with Path(path).open("rb") as upload:
        handoff = receive_file(
            client, upload, Path(path).name, source=HandoffSource.CLI, check_now=True
        )
    output: dict = {"handoff": handoff.id, "status": handoff.status.value}
    if handoff.status is HandoffStatus.UPLOADED:
        _table, mapping = mapped_table(handoff)
        output.update(
            accepted=False,
            missing_columns=mapping.missing,
            unrecognised_columns=[h for _i, h in mapping.unrecognised],
            errors=[],
        )
    elif handoff.status is HandoffStatus.REJECTED:
        output.update(
            accepted=False, errors=[{"row": 0, "column": "", "message": handoff.failure_reason}]
        )
    else:
        output.update(handoff.report or {})
    importable = handoff.status is HandoffStatus.VALIDATED and (
        output.get("accepted") or (skip_invalid and output.get("valid_rows"))
    )
    if importable and not dry_run:
        try:
            confirm(handoff, skip_invalid=skip_invalid, actor=None, queue=False)
        except HandoffError as error:
            raise click.ClickException(str(error)) from error
        db.session.commit()
        import_handoff(handoff.id)  # in this process, same function as the job
        db.session.refresh(handoff)
        output.update(handoff.report or {})
        output["status"] = handoff.status.value
    else:
        db.session.commit()
    if handoff.status is HandoffStatus.DUPLICATE:
        output["accepted"] = True
        output["message"] = (
            f"already imported as handoff {handoff.duplicate_of_id}; nothing changed"
        )
    click.echo(json.dumps(output, indent=2, ensure_ascii=False, default=str))
    ok = handoff.status in (HandoffStatus.IMPORTED, HandoffStatus.DUPLICATE) or (
        dry_run and bool(importable)
    )
    if not ok:
        raise SystemExit(1)
