"""Reads of the workbench: a case's timeline, its promises, plans, disputes and agreements."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any

import sqlalchemy as sa

from agency.audit import AuditEvent
from agency.auth.models import User
from agency.cases.models import Case, Invoice
from agency.contact_log.models import (
    Arrangement,
    ArrangementStatus,
    ContactEntry,
    Dispute,
    DisputeStatus,
    PaymentTermAgreement,
    Promise,
    PromiseStatus,
)
from agency.extensions import db
from agency.ledger.models import LedgerEntry
from agency.letters.models import DunningStep, Message
from agency.modeling import AGENCY_TZ


@dataclass(frozen=True)
class TimelineItem:
    """One thing that happened on a case; `kind` says how the page shows `data`."""

    at: datetime
    kind: str
    actor: str | None = None
    data: dict[str, Any] = field(default_factory=dict)
    order: int = 0


def _moment(day: date, created_at: datetime) -> datetime:
    """When a dated event happened: its creation time if that was on the day, else the day."""
    if created_at.astimezone(AGENCY_TZ).date() == day:
        return created_at
    return datetime.combine(day, time(12, 0), AGENCY_TZ)


# Audit actions that are changes worth a line of their own on the timeline.
TIMELINE_ACTIONS = (
    "case.assigned",
    "debtor.updated",
    "promise.kept",
    "promise.broken",
    "promise.cancelled",
    "arrangement.active",
    "arrangement.completed",
    "arrangement.broken",
    "arrangement.declined",
    "arrangement.cancelled",
    "dispute.upheld",
    "dispute.rejected",
    "call.not_connected",
)


def sandboxed(provider_id: str | None) -> bool:
    """Whether a call or SMS was only recorded by the sandbox (no Twilio settings)."""
    return bool(provider_id) and provider_id.startswith("sandbox-")


@dataclass(frozen=True)
class CaseWork:
    """The workbench's rows of one case."""

    contacts: list[ContactEntry]
    promises: list[Promise]
    arrangements: list[Arrangement]
    disputes: list[Dispute]
    agreements: list[PaymentTermAgreement]

    @property
    def open_promise(self) -> Promise | None:
        return next((p for p in self.promises if p.status is PromiseStatus.OPEN), None)

    @property
    def running_arrangement(self) -> Arrangement | None:
        running = (ArrangementStatus.PROPOSED, ArrangementStatus.ACTIVE)
        return next((a for a in self.arrangements if a.status in running), None)

    @property
    def open_disputes(self) -> list[Dispute]:
        return [d for d in self.disputes if d.status is DisputeStatus.OPEN]


def case_work(case_id: int) -> CaseWork:
    """Collect the contacts, promises, plans, disputes and term agreements of a case."""

    def rows(model, *order):
        return list(
            db.session.scalars(sa.select(model).where(model.case_id == case_id).order_by(*order))
        )

    return CaseWork(
        contacts=rows(ContactEntry, ContactEntry.occurred_at.desc(), ContactEntry.id.desc()),
        promises=rows(Promise, Promise.id.desc()),
        arrangements=rows(Arrangement, Arrangement.id.desc()),
        disputes=rows(Dispute, Dispute.id.desc()),
        agreements=rows(PaymentTermAgreement, PaymentTermAgreement.id.desc()),
    )


def case_timeline(case: Case, work: CaseWork | None = None) -> list[TimelineItem]:
    """Everything that happened on a case, newest first: handoff, money, contacts, promises,
    plans, disputes, shorter terms, the dunning engine's letters, e-mails and SMS, and changes
    to the debtor or the case's agent."""
    work = work or case_work(case.id)
    names = dict(db.session.execute(sa.select(User.id, User.name)).all())
    items = [
        TimelineItem(
            _moment(case.opened_on, case.created_at),
            "handoff",
            data={"client": case.client.name, "invoices": len(case.invoices)},
            order=-1,
        )
    ]
    for entry in db.session.scalars(sa.select(LedgerEntry).where(LedgerEntry.case_id == case.id)):
        items.append(
            TimelineItem(
                _moment(entry.booked_on, entry.created_at),
                "ledger",
                names.get(entry.created_by_id),
                {"entry": entry},
                order=entry.id,
            )
        )
    for contact in work.contacts:
        items.append(
            TimelineItem(
                contact.occurred_at,
                "contact",
                names.get(contact.agent_id),
                {
                    "contact": contact,
                    "sandboxed": sandboxed(contact.provider_id),
                    # A correction the phone service reported (Twilio's status callback).
                    "reported": contact.corrects_id is not None and contact.provider_id is not None,
                },
            )
        )
    for message, step_name in db.session.execute(
        sa.select(Message, DunningStep.name)
        .join(DunningStep, DunningStep.id == Message.step_id)
        .where(Message.case_id == case.id)
    ):
        items.append(
            TimelineItem(
                message.finished_at or message.created_at,
                "message",
                data={
                    "message": message,
                    "step": step_name,
                    "sandboxed": sandboxed(message.provider_id),
                },
                order=message.id,
            )
        )
    for promise in work.promises:
        items.append(
            TimelineItem(
                promise.created_at,
                "promise",
                names.get(promise.created_by_id),
                {"promise": promise},
                1,
            )
        )
    for arrangement in work.arrangements:
        items.append(
            TimelineItem(
                arrangement.created_at,
                "arrangement",
                names.get(arrangement.created_by_id),
                {"arrangement": arrangement},
                1,
            )
        )
    for dispute in work.disputes:
        items.append(
            TimelineItem(
                dispute.created_at,
                "dispute",
                names.get(dispute.created_by_id),
                {"dispute": dispute},
                1,
            )
        )
    for agreement in work.agreements:
        items.append(
            TimelineItem(
                agreement.created_at,
                "payment_term",
                names.get(agreement.agent_id),
                {"agreement": agreement},
                1,
            )
        )
    objects = sa.or_(
        sa.and_(AuditEvent.object_type == "cases", AuditEvent.object_id == case.id),
        sa.and_(AuditEvent.object_type == "debtors", AuditEvent.object_id == case.debtor_id),
        sa.and_(
            AuditEvent.object_type == "promises",
            AuditEvent.object_id.in_([p.id for p in work.promises]),
        ),
        sa.and_(
            AuditEvent.object_type == "arrangements",
            AuditEvent.object_id.in_([a.id for a in work.arrangements]),
        ),
        sa.and_(
            AuditEvent.object_type == "disputes",
            AuditEvent.object_id.in_([d.id for d in work.disputes]),
        ),
    )
    for event in db.session.scalars(
        sa.select(AuditEvent).where(objects, AuditEvent.action.in_(TIMELINE_ACTIONS))
    ):
        data = dict(event.data or {})
        if event.action == "case.assigned":
            data["new_name"] = names.get(data.get("new"))
        items.append(
            TimelineItem(
                event.created_at,
                event.action.replace(".", "_"),
                names.get(event.actor_id),
                data,
                order=2,
            )
        )
    items.sort(key=lambda item: (item.at, item.order), reverse=True)
    return items


def debtor_changes(debtor_id: int) -> list[AuditEvent]:
    """Return the recorded changes of a debtor's details, newest first."""
    return list(
        db.session.scalars(
            sa.select(AuditEvent)
            .where(
                AuditEvent.object_type == "debtors",
                AuditEvent.object_id == debtor_id,
                AuditEvent.action == "debtor.updated",
            )
            .order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc())
        )
    )


def usual_term_days(debtor_id: int) -> int | None:
    """Return the payment term of the debtor's latest invoice (due date minus invoice date)."""
    row = db.session.execute(
        sa.select(Invoice.invoice_date, Invoice.due_date)
        .where(Invoice.debtor_id == debtor_id)
        .order_by(Invoice.invoice_date.desc(), Invoice.id.desc())
        .limit(1)
    ).first()
    if row is None:
        return None
    days = (row.due_date - row.invoice_date).days
    return days if days > 0 else None


def open_disputes_of_client(client_id: int) -> list[Dispute]:
    """Return the client's disputes waiting for a decision, oldest first."""
    return list(
        db.session.scalars(
            sa.select(Dispute)
            .where(Dispute.client_id == client_id, Dispute.status == DisputeStatus.OPEN)
            .order_by(Dispute.created_at, Dispute.id)
        )
    )


def term_agreements_of_client(client_id: int) -> list[PaymentTermAgreement]:
    """Return the client's debtors who accepted a shorter payment term, newest first."""
    return list(
        db.session.scalars(
            sa.select(PaymentTermAgreement)
            .where(PaymentTermAgreement.client_id == client_id)
            .order_by(PaymentTermAgreement.agreed_on.desc(), PaymentTermAgreement.id.desc())
        )
    )
