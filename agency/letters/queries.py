"""Reads of the dunning engine: the outbox, print batches, policies, templates, previews."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from flask import current_app

from agency.cases.models import Case, Debtor
from agency.clients.models import Client
from agency.extensions import db
from agency.letters.models import (
    LANGUAGES,
    Channel,
    DeliveryStatus,
    DunningPolicy,
    DunningStep,
    LetterTemplate,
    Message,
    MessageStatus,
    TemplateKind,
)
from agency.letters.render import render_text, template_variables


@dataclass(frozen=True)
class OutboxRow:
    id: int
    case_id: int
    reference: str
    debtor_name: str
    client_name: str
    step_name: str
    channel: Channel
    status: MessageStatus
    send_after: datetime
    finished_at: datetime | None
    attempts: int
    note: str | None  # why it failed or was cancelled
    delivery_status: DeliveryStatus | None = None  # an SMS: the network's final word
    sandboxed: bool = False  # an SMS only recorded by the sandbox (no Twilio settings)


def outbox(
    status: MessageStatus | None = None, case_id: int | None = None, limit: int = 200
) -> list[OutboxRow]:
    """Messages newest first, optionally of one status or one case."""
    stmt = (
        sa.select(Message, Case.reference, Debtor.name, Client.name, DunningStep.name)
        .join(Case, Case.id == Message.case_id)
        .join(Debtor, Debtor.id == Case.debtor_id)
        .join(Client, Client.id == Message.client_id)
        .join(DunningStep, DunningStep.id == Message.step_id)
        .order_by(Message.id.desc())
        .limit(limit)
    )
    if status is not None:
        stmt = stmt.where(Message.status == status)
    if case_id is not None:
        stmt = stmt.where(Message.case_id == case_id)
    return [
        OutboxRow(
            id=m.id,
            case_id=m.case_id,
            reference=ref,
            debtor_name=debtor,
            client_name=client,
            step_name=step,
            channel=m.channel,
            status=m.status,
            send_after=m.send_after,
            finished_at=m.finished_at,
            attempts=m.attempts,
            note=m.last_error if m.status is not MessageStatus.CANCELLED else m.cancel_reason,
            delivery_status=m.delivery_status,
            sandboxed=(m.provider_id or "").startswith("sandbox-"),
        )
        for m, ref, debtor, client, step in db.session.execute(stmt)
    ]


def status_counts() -> dict[MessageStatus, int]:
    rows = db.session.execute(sa.select(Message.status, sa.func.count()).group_by(Message.status))
    return {status: int(n) for status, n in rows}


def print_days(limit: int = 30) -> list[tuple[date, int]]:
    """Days with posted letters, newest first, and how many letters each batch holds."""
    rows = db.session.execute(
        sa.select(Message.posted_on, sa.func.count())
        .where(Message.channel == Channel.LETTER, Message.status == MessageStatus.SENT)
        .group_by(Message.posted_on)
        .order_by(Message.posted_on.desc())
        .limit(limit)
    )
    return [(day, int(n)) for day, n in rows]


def print_batch(day: date) -> list[dict[str, Any]]:
    """The content of every letter of the day's print batch, in a stable order."""
    return [
        m.content
        for m in db.session.scalars(
            sa.select(Message)
            .where(
                Message.channel == Channel.LETTER,
                Message.status == MessageStatus.SENT,
                Message.posted_on == day,
            )
            .order_by(Message.client_id, Message.id)
        )
    ]


def policies() -> list[DunningPolicy]:
    """The agency's default policies first, then the clients' own."""
    return list(
        db.session.scalars(
            sa.select(DunningPolicy)
            .outerjoin(Client, Client.id == DunningPolicy.client_id)
            .order_by(
                DunningPolicy.client_id.is_not(None),
                Client.name,
                DunningPolicy.segment,
                DunningPolicy.country,
            )
        )
    )


def templates_of(client_id: int | None) -> dict[tuple[TemplateKind, str], LetterTemplate]:
    """The stored templates of a client (or of the agency, for None) by kind and language."""
    condition = (
        LetterTemplate.client_id.is_(None)
        if client_id is None
        else LetterTemplate.client_id == client_id
    )
    return {
        (t.kind, t.language): t
        for t in db.session.scalars(sa.select(LetterTemplate).where(condition))
    }


def template_grid(client_id: int | None) -> list[tuple[TemplateKind, list[tuple[str, Any]]]]:
    """For each kind of letter, per language the stored template or None (built-in wording)."""
    stored = templates_of(client_id)
    return [
        (kind, [(lang, stored.get((kind, lang))) for lang in LANGUAGES]) for kind in TemplateKind
    ]


def sample_content(
    client: Client | None,
    kind: TemplateKind,
    language: str,
    subject: str,
    body: str,
    sms_text: str,
) -> dict[str, Any]:
    """A letter's content with made-up debtor and invoices, for the template preview."""
    config = current_app.config
    creditor = client.name if client else "Voorbeeld B.V."
    content: dict[str, Any] = {
        "language": language,
        "kind": kind.value,
        "date": "2025-04-25",
        "reference": "1234567890123456",
        "debtor": {
            "name": "J. de Vries",
            "contact_name": None,
            "street": "Oudegracht 1",
            "postcode": "3511 AA",
            "city": "Utrecht",
            "country": "NL",
        },
        "creditor": {
            "name": creditor,
            "sender_name": (client.sender_name if client else None) or creditor,
        },
        "branding": {
            "colour": client.brand_colour if client else "#1f4e79",
            "font": client.brand_font if client else "Helvetica",
            "logo_path": _logo(client),
        },
        "agency": {
            "name": config["AGENCY_NAME"],
            "registration": config["AGENCY_REGISTRATION"],
            "email": config["AGENCY_EMAIL"],
            "phone": config["AGENCY_PHONE"],
            "iban": config["AGENCY_IBAN"],
            "address": config["AGENCY_ADDRESS"],
        },
        "invoices": [
            {
                "number": "F2025-0113",
                "invoice_date": "2025-01-30",
                "due_date": "2025-03-01",
                "open_cents": 2_000_00,
            },
            {
                "number": "F2025-0131",
                "invoice_date": "2025-02-08",
                "due_date": "2025-03-10",
                "open_cents": 1_000_00,
            },
        ],
        "balance": {"principal": 3_000_00, "cost": 0, "interest": 0, "total": 3_000_00},
        "vat_on_costs": bool(client and client.vat_on_costs),
        "payment_url": f"{config['PUBLIC_BASE_URL']}/pay/voorbeeld",
        "term_ends_on": "2025-05-14",
        "stated_costs_cents": 425_00,
    }
    variables = template_variables(content)
    content["subject"] = render_text(subject, variables)
    content["body"] = render_text(body, variables)
    content["sms"] = render_text(sms_text, variables)
    return content


def _logo(client: Client | None) -> str | None:
    if client is None or not client.logo_path:
        return None
    from pathlib import Path

    path = Path(client.logo_path)
    return str(path if path.is_absolute() else Path(current_app.instance_path) / path)


def clients() -> list[Client]:
    return list(db.session.scalars(sa.select(Client).order_by(Client.name)))
