"""Job functions of the workbench. They take dates as ISO text, commit their own work and may
run twice: a settled promise or an ended plan is left alone."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from flask import current_app

from agency import audit
from agency.auth.models import User
from agency.cases.models import Case
from agency.contact_log import calls, sms
from agency.contact_log.models import (
    Arrangement,
    ArrangementStatus,
    Channel,
    ContactEntry,
    Outcome,
    Promise,
    PromiseStatus,
)
from agency.contact_log.operations import (
    check_arrangement,
    log_contact,
    phone_refusal,
    settle_promise,
)
from agency.extensions import db
from agency.modeling import today as local_today
from agency.modeling import utcnow


def settle_promises(today: str | None = None) -> dict[str, int]:
    """Mark open promises kept or broken by the ledger; return how many of each."""
    day = date.fromisoformat(today) if today else local_today()
    counts = {"kept": 0, "broken": 0}
    ids = db.session.scalars(
        sa.select(Promise.id).where(Promise.status == PromiseStatus.OPEN).order_by(Promise.id)
    ).all()
    for promise_id in ids:
        status = settle_promise(db.session.get(Promise, promise_id), today=day)
        if status.value in counts:
            counts[status.value] += 1
    db.session.commit()
    return counts


def check_arrangements(today: str | None = None) -> dict[str, int]:
    """Mark instalments paid or missed by the ledger; a missed one breaks its plan."""
    day = date.fromisoformat(today) if today else local_today()
    counts = {"completed": 0, "broken": 0}
    ids = db.session.scalars(
        sa.select(Arrangement.id)
        .where(Arrangement.status == ArrangementStatus.ACTIVE)
        .order_by(Arrangement.id)
    ).all()
    for arrangement_id in ids:
        status = check_arrangement(db.session.get(Arrangement, arrangement_id), today=day)
        if status.value in counts:
            counts[status.value] += 1
    db.session.commit()
    return counts


def _already_done(request_key: str) -> bool:
    return (
        db.session.scalar(sa.select(ContactEntry.id).where(ContactEntry.request_key == request_key))
        is not None
    )


def _refused_now(case: Case, request_key: str, *, sms: bool) -> bool:
    """Check the legal hours again: a retried job may run after they ended."""
    refusal = phone_refusal(
        case, utcnow(), sms=sms, extra_days=current_app.config.get("DESIGNATED_HOLIDAYS") or ()
    )
    if refusal:
        audit.record(
            "sms.dropped" if sms else "call.dropped", case, request=request_key, why=refusal
        )
        db.session.commit()
    return refusal is not None


def send_sms(case_id: int, body: str, actor_id: int | None, request_key: str) -> str | None:
    """Send an SMS an agent asked for and log it; a second run sends nothing."""
    if _already_done(request_key):
        return None
    case = db.session.get(Case, case_id)
    if _refused_now(case, request_key, sms=True):
        return None
    sent = sms.send_sms(case.debtor.phone, body, client_id=case.client_id, case_id=case.id)
    provider_id = sent.provider_id
    log_contact(
        case,
        channel=Channel.SMS_OUT,
        outcome=Outcome.SENT,
        note=body,
        provider_id=provider_id,
        request_key=request_key,
        today=local_today(),
        actor=db.session.get(User, actor_id) if actor_id else None,
    )
    db.session.commit()
    return provider_id


def place_call(case_id: int, actor_id: int | None, request_key: str) -> str | None:
    """Place a click-to-call an agent asked for and log it; a second run places nothing."""
    if _already_done(request_key):
        return None
    case = db.session.get(Case, case_id)
    if _refused_now(case, request_key, sms=False):
        return None
    line = current_app.config.get("TWILIO_AGENT_LINE") or current_app.config.get("AGENCY_PHONE")
    provider_id = calls.place_call(
        case.debtor.phone, line, client_id=case.client_id, case_id=case.id
    )
    log_contact(
        case,
        channel=Channel.CALL_OUT,
        outcome=Outcome.DIALLED,
        provider_id=provider_id,
        request_key=request_key,
        today=local_today(),
        actor=db.session.get(User, actor_id) if actor_id else None,
    )
    db.session.commit()
    return provider_id
