"""Job functions of the reports. They commit their own work and may run twice."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

import sqlalchemy as sa
from babel.dates import format_date
from babel.numbers import format_decimal
from flask import current_app
from flask_babel import force_locale

from agency.auth.models import Role, User
from agency.clients.models import Client
from agency.extensions import db
from agency.i18n import gettext as _
from agency.letters.mail import Mail, Outbox, build_message, html_body
from agency.modeling import today as local_today
from agency.modeling import utcnow
from agency.money import format_eur
from agency.reports import pdf, queries
from agency.reports.figures import Dashboard
from agency.reports.models import ReportMailing


@dataclass(frozen=True)
class _Recipient:
    email: str
    name: str
    language: str


def mail_monthly_reports(today: str | None = None) -> int:
    """E-mail last month's report to the active portal users of every client, once per month.

    Returns the number of e-mails sent. A client whose report of that month was mailed (or is
    being mailed by another run) is skipped, and so is a client that had handed nothing over
    by the month's end. Each client's claim is committed before its e-mails leave; when the
    SMTP server fails halfway, the claim is given back and the job fails, so a retry mails the
    report again (the users it reached before the failure get it twice). A run killed while
    sending leaves its claim without `sent_at` and nothing is sent again.
    """
    day = date.fromisoformat(today) if today else local_today()
    as_of = day.replace(day=1) - timedelta(days=1)
    month = as_of.replace(day=1)
    client_ids = db.session.scalars(
        sa.select(Client.id)
        .where(
            Client.is_active_client.is_(True),
            Client.id.in_(
                sa.select(User.client_id).where(
                    User.role == Role.CLIENT, User.is_active_user.is_(True)
                )
            ),
        )
        .order_by(Client.id)
    ).all()
    sent = 0
    with Outbox() as outbox:
        for client_id in client_ids:
            sent += _mail_report(client_id, month, as_of, outbox)
    return sent


def _language(user: User, client: Client) -> str:
    """The user's language if the portal speaks it, else the client's first language."""
    languages = current_app.config["LANGUAGES"]
    if user.language in languages:
        return user.language
    first = (client.languages or "").split(",")[0].strip()
    return first if first in languages else languages[0]


def _mailed(client_id: int, month: date) -> bool:
    return (
        db.session.scalar(
            sa.select(ReportMailing.id).where(
                ReportMailing.client_id == client_id, ReportMailing.month == month
            )
        )
        is not None
    )


def _mail_report(client_id: int, month: date, as_of: date, outbox: Outbox) -> int:
    """Mail one client's report to its active users; the number of e-mails sent."""
    client = db.session.get(Client, client_id)
    first = queries.first_handoff_on(client_id)
    if client is None or first is None or first > as_of or _mailed(client_id, month):
        db.session.rollback()
        return 0
    users = db.session.scalars(
        sa.select(User)
        .where(
            User.client_id == client_id,
            User.role == Role.CLIENT,
            User.is_active_user.is_(True),
        )
        .order_by(User.id)
    ).all()
    recipients = [_Recipient(u.email, u.name, _language(u, client)) for u in users]
    dashboard = queries.dashboard(client_id, as_of)
    # Render before claiming: the claim holds a write lock until the commit, which should
    # last only as long as the e-mails take.
    messages = []
    documents: dict[str, bytes] = {}
    for recipient in recipients:
        if recipient.language not in documents:
            documents[recipient.language] = pdf.monthly_report_pdf(
                dashboard,
                client_name=client.name,
                brand_colour=client.brand_colour,
                logo_path=client.logo_path,
                month=month,
                language=recipient.language,
            )
        messages.append(
            _message(client, recipient, dashboard, month, documents[recipient.language])
        )
    db.session.rollback()  # end the reading transaction; the claim starts a writing one

    # The claim is committed before the first e-mail leaves: a run that comes second fails on
    # the unique (client, month) here and sends nothing, and a crash while sending leaves a
    # claim without sent_at rather than a second round of e-mails on the next run.
    mailing = ReportMailing(client_id=client_id, month=month, recipients=0)
    db.session.add(mailing)
    try:
        db.session.commit()
    except sa.exc.IntegrityError:
        db.session.rollback()
        return 0
    try:
        for message in messages:
            outbox.send(message, client_id=client_id)
    except Exception:
        # The SMTP server refused: give the claim back so that the job's retry mails the report
        # (users reached before the failure get it twice), and fail the job.
        db.session.rollback()
        db.session.delete(db.session.get(ReportMailing, mailing.id))
        db.session.commit()
        raise
    mailing.recipients = len(messages)
    mailing.sent_at = utcnow()
    db.session.commit()
    return len(messages)


def _message(
    client: Client, recipient: _Recipient, d: Dashboard, month: date, document: bytes
) -> Mail:
    config = current_app.config
    with force_locale(recipient.language):
        month_name = format_date(month, "LLLL yyyy", locale=recipient.language)
        text = _body(client, recipient, d, month_name)
        return build_message(
            to=recipient.email,
            subject=_("Monthly report %(month)s: %(client)s", month=month_name, client=client.name),
            text=text,
            html=html_body(
                text,
                colour=client.brand_colour,
                footer=config["AGENCY_NAME"],
                link=f"{config['BASE_URL']}/portal/",
                link_label=_("Open the client portal"),
            ),
            attachment=document,
            attachment_name=f"report-{client.code}-{month:%Y-%m}.pdf",
        )


def _body(client: Client, recipient: _Recipient, d: Dashboard, month_name: str) -> str:
    language = recipient.language
    last = d.cash_per_month[-1] if d.cash_per_month else None
    collected = (last.agency_cents + last.direct_cents) if last else 0

    def days(value: Decimal | None) -> str:
        if value is None:
            return "–"
        return _("%(days)s days", days=format_decimal(value, "#,##0.0", locale=language))

    lines = [
        _("Dear %(name)s,", name=recipient.name),
        _(
            "Attached is the monthly report of %(client)s for %(month)s, with the figures as "
            "they stood on the month's last day.",
            client=client.name,
            month=month_name,
        ),
        "\n".join(
            [
                _(
                    "Collected in %(month)s: %(amount)s",
                    month=month_name,
                    amount=format_eur(collected, language),
                ),
                _("Outstanding: %(amount)s", amount=format_eur(d.outstanding.cents, language)),
                _(
                    "DSO: %(now)s (before handoff: %(before)s)",
                    now=days(d.dso_now),
                    before=days(d.dso_before),
                ),
                _(
                    "Working capital released: %(amount)s",
                    amount=format_eur(d.working_capital_released_cents, language),
                ),
            ]
        ),
        _("The client portal shows these figures every day, with the cases behind them."),
        _("Kind regards,") + "\n" + current_app.config["AGENCY_NAME"],
    ]
    return "\n\n".join(lines)
