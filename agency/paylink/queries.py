"""Reads for the payment page (what the debtor sees) and for the case page (what they asked)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa

from agency.cases.models import Case, Invoice
from agency.extensions import db
from agency.ledger.queries import Balance, case_balance, invoice_open_principal
from agency.letters.models import Message, MessageStatus
from agency.paylink.models import DebtorRequest, ProviderPayment, RequestStatus


@dataclass(frozen=True)
class OpenInvoice:
    invoice: Invoice
    open_cents: int


@dataclass(frozen=True)
class DebtorView:
    """Everything the payment page shows after the check."""

    case: Case
    balance: Balance
    invoices: list[OpenInvoice]
    deadline: date | None


def step_deadline(case_id: int) -> date | None:
    """Return the end of the term the latest letter sent on the case set, if any."""
    return db.session.scalar(
        sa.select(Message.term_ends_on)
        .where(
            Message.case_id == case_id,
            Message.status == MessageStatus.SENT,
            Message.term_ends_on.is_not(None),
        )
        .order_by(Message.term_ends_on.desc())
        .limit(1)
    )


def debtor_view(case: Case) -> DebtorView:
    """Return the creditor, every open invoice, the balance and the current deadline."""
    open_principal = invoice_open_principal(case.id)
    invoices = [
        OpenInvoice(inv, open_principal[inv.id])
        for inv in case.invoices
        if open_principal.get(inv.id, 0) > 0
    ]
    return DebtorView(
        case=case,
        balance=case_balance(case.id),
        invoices=invoices,
        deadline=step_deadline(case.id),
    )


def case_payment(case_id: int, public_id: str) -> ProviderPayment | None:
    """Return the payment `public_id` if it belongs to the case (else None, like a missing one)."""
    return db.session.scalar(
        sa.select(ProviderPayment).where(
            ProviderPayment.public_id == public_id, ProviderPayment.case_id == case_id
        )
    )


def open_requests(case_id: int) -> list[DebtorRequest]:
    """Return the debtor's requests on the case that wait for a person, oldest first."""
    return list(
        db.session.scalars(
            sa.select(DebtorRequest)
            .where(DebtorRequest.case_id == case_id, DebtorRequest.status == RequestStatus.OPEN)
            .order_by(DebtorRequest.created_at, DebtorRequest.id)
        )
    )


def case_payments(case_id: int) -> list[ProviderPayment]:
    """Return the payments the debtor started on the payment page, newest first."""
    return list(
        db.session.scalars(
            sa.select(ProviderPayment)
            .where(ProviderPayment.case_id == case_id)
            .order_by(ProviderPayment.created_at.desc(), ProviderPayment.id.desc())
        )
    )


@dataclass(frozen=True)
class CasePanel:
    """The payment page as the case page shows it to staff."""

    link_url: str
    generation: int
    requests: list[DebtorRequest]
    payments: list[ProviderPayment]


def case_panel(case: Case) -> CasePanel:
    """Return the case's live link, the debtor's open requests and the payments started."""
    from flask import current_app

    from agency.letters.links import live_token, token_for

    row = live_token(case) if case.is_open else None
    base = current_app.config["PUBLIC_BASE_URL"].rstrip("/")
    return CasePanel(
        link_url=f"{base}/pay/{token_for(case.id, row.generation)}" if row else "",
        generation=row.generation if row else 0,
        requests=open_requests(case.id),
        payments=case_payments(case.id),
    )
