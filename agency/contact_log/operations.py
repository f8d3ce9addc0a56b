"""State changes of the agent's work: contacts, promises, payment plans, shorter terms, disputes.

Like every operations module: flush and audit, never commit, never read the request. The ledger
alone decides whether a promise was kept or an instalment paid.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import sqlalchemy as sa
from dateutil.relativedelta import relativedelta
from rq import Retry

from agency import audit
from agency.auth.models import Role, User
from agency.cases.models import Case, CaseStatus, Invoice
from agency.cases.operations import pause, resume, transition
from agency.cases.priority import refresh_priorities
from agency.contact_log.hours import _
from agency.contact_log.models import (
    Arrangement,
    ArrangementStatus,
    Channel,
    ContactEntry,
    Dispute,
    DisputeFile,
    DisputeReason,
    DisputeStatus,
    Instalment,
    InstalmentStatus,
    Outcome,
    PaymentTermAgreement,
    Promise,
    PromiseStatus,
)
from agency.errors import AgencyError
from agency.extensions import db
from agency.ledger.models import EntryKind, EntrySource, LedgerEntry
from agency.ledger.queries import case_balance, invoice_open_principal
from agency.modeling import utcnow

if TYPE_CHECKING:
    from agency.letters.models import Message

# Days after the promised or due date before a missing payment counts as broken: a transfer
# made on the day itself takes a working day or two to reach the agency's account.
GRACE_DAYS = 3
# What a debtor may send with a dispute: the file types and the largest size.
DISPUTE_FILE_TYPES = {
    ".pdf": ("application/pdf", (b"%PDF-",)),
    ".png": ("image/png", (b"\x89PNG\r\n\x1a\n",)),
    ".jpg": ("image/jpeg", (b"\xff\xd8\xff",)),
    ".jpeg": ("image/jpeg", (b"\xff\xd8\xff",)),
}
DISPUTE_FILE_MAX_BYTES = 5 * 1024 * 1024
SUPERVISORS = (Role.SUPERVISOR, Role.ADMIN)
PAYMENT_KINDS = (EntryKind.PAYMENT, EntryKind.DIRECT_PAYMENT)


class WorkError(AgencyError):
    """The agent's action does not fit the case (its status, balance or the client's rules)."""


# --- contacts ----------------------------------------------------------------------------------


def log_contact(
    case: Case,
    *,
    channel: Channel,
    outcome: Outcome,
    note: str | None = None,
    duration_seconds: int | None = None,
    next_action_on: date | None = None,
    occurred_at: datetime | None = None,
    corrects: ContactEntry | None = None,
    provider_id: str | None = None,
    request_key: str | None = None,
    today: date,
    actor: User | None = None,
    agent_id: int | None = None,
) -> ContactEntry:
    """Add an entry to the case's contact log and set the case's next action. `agent_id`
    names the agent of an entry the system adds for them (a provider's report on their call)."""
    if corrects is not None and corrects.case_id != case.id:
        raise WorkError("a correction belongs to the same case")
    if duration_seconds is not None and duration_seconds < 0:
        raise WorkError("a duration cannot be negative")
    entry = ContactEntry(
        client_id=case.client_id,
        case_id=case.id,
        channel=channel,
        outcome=outcome,
        note=(note or "").strip() or None,
        duration_seconds=duration_seconds,
        agent_id=agent_id if agent_id is not None else (actor.id if actor else None),
        occurred_at=occurred_at or utcnow(),
        corrects_id=corrects.id if corrects else None,
        provider_id=provider_id,
        request_key=request_key,
    )
    db.session.add(entry)
    if next_action_on is not None and case.is_open:
        case.next_action_on = next_action_on
    db.session.flush()
    audit.record(
        "contact.logged",
        entry,
        actor=actor,
        case_id=case.id,
        channel=channel.value,
        outcome=outcome.value,
        corrects=entry.corrects_id,
    )
    refresh_priorities([case.id], today)
    return entry


def paid_between(case_id: int, first: date, last: date) -> int:
    """Return what the debtor paid on the case (to the agency or to the client) from `first` up
    to and including `last`, in cents, reversals deducted."""
    total = db.session.scalar(
        sa.select(sa.func.coalesce(sa.func.sum(LedgerEntry.amount_cents), 0)).where(
            LedgerEntry.case_id == case_id,
            LedgerEntry.kind.in_(PAYMENT_KINDS),
            LedgerEntry.booked_on >= first,
            LedgerEntry.booked_on <= last,
        )
    )
    return -int(total)


def _back_to_queue(case: Case, *, today: date, actor: User | None, reason: str) -> None:
    """End the wait of a promise, plan or dispute: dunning resumes and the case is due today."""
    if case.is_open and case.status in (
        CaseStatus.PROMISED,
        CaseStatus.ARRANGEMENT,
        CaseStatus.DISPUTED,
    ):
        transition(case, CaseStatus.DUNNING, on=today, actor=actor, reason=reason)
    if case.is_open:
        resume(case, actor=actor)
        case.next_action_on = today


# --- promises ----------------------------------------------------------------------------------


def _cancel_open_promise(case: Case, *, today: date, actor: User | None, why: str) -> None:
    promise = db.session.scalar(
        sa.select(Promise).where(Promise.case_id == case.id, Promise.status == PromiseStatus.OPEN)
    )
    if promise is not None:
        promise.status = PromiseStatus.CANCELLED
        promise.settled_on = today
        db.session.flush()
        audit.record("promise.cancelled", promise, actor=actor, case_id=case.id, why=why)


def record_promise(
    case: Case,
    amount_cents: int,
    promised_on: date,
    *,
    today: date,
    contact: ContactEntry | None = None,
    actor: User | None = None,
) -> Promise:
    """Record the debtor's promise to pay; dunning waits until the promised date has passed."""
    if not case.is_open or case.status not in (
        CaseStatus.NEW,
        CaseStatus.DUNNING,
        CaseStatus.PROMISED,
    ):
        raise WorkError("a promise is taken on a case in dunning, not under a plan or dispute")
    if amount_cents <= 0:
        raise WorkError("a promise is for a positive amount")
    if promised_on < today:
        raise WorkError("the promised date has passed already")
    balance = case_balance(case.id).total
    if amount_cents > balance:
        raise WorkError("the promise is for more than the debtor owes")
    _cancel_open_promise(case, today=today, actor=actor, why="replaced")
    promise = Promise(
        client_id=case.client_id,
        case_id=case.id,
        debtor_id=case.debtor_id,
        contact_entry_id=contact.id if contact else None,
        amount_cents=amount_cents,
        made_on=today,
        promised_on=promised_on,
        status=PromiseStatus.OPEN,
        paid_cents=0,
        created_by_id=actor.id if actor else None,
    )
    db.session.add(promise)
    if case.status is not CaseStatus.PROMISED:
        transition(case, CaseStatus.PROMISED, on=today, actor=actor, reason="promise to pay")
    pause(case, "promise", promised_on + timedelta(days=GRACE_DAYS), actor=actor)
    db.session.flush()
    audit.record(
        "promise.made",
        promise,
        actor=actor,
        case_id=case.id,
        cents=amount_cents,
        promised_on=promised_on.isoformat(),
    )
    return promise


def settle_promise(promise: Promise, *, today: date, actor: User | None = None) -> PromiseStatus:
    """Mark an open promise kept once the ledger shows the amount paid, or broken when the
    promised date plus the grace days has passed without it."""
    if promise.status is not PromiseStatus.OPEN:
        return promise.status
    case = db.session.get(Case, promise.case_id)
    deadline = promise.promised_on + timedelta(days=GRACE_DAYS)
    paid = paid_between(case.id, promise.made_on, min(today, deadline))
    promise.paid_cents = max(0, paid)
    if paid >= promise.amount_cents or case.status is CaseStatus.PAID:
        promise.status = PromiseStatus.KEPT
    elif today > deadline:
        promise.status = PromiseStatus.BROKEN
    else:
        return promise.status
    promise.settled_on = today
    db.session.flush()
    audit.record(
        f"promise.{promise.status.value}", promise, actor=actor, case_id=case.id, paid=paid
    )
    if case.status is CaseStatus.PROMISED:
        _back_to_queue(case, today=today, actor=actor, reason=f"promise {promise.status.value}")
    refresh_priorities([case.id], today)
    return promise.status


# --- payment arrangements ----------------------------------------------------------------------


def instalment_amounts(total_cents: int, count: int) -> list[int]:
    """Split a total into `count` equal instalments; the last one takes the odd cents."""
    if count < 1:
        raise WorkError("a plan has at least one instalment")
    base = total_cents // count
    if base <= 0:
        raise WorkError("each instalment must be at least one cent")
    return [base] * (count - 1) + [total_cents - base * (count - 1)]


def plan_rule_breaches(case: Case, amounts: list[int]) -> list[str]:
    """Say where a schedule falls outside the client's plan rules (empty: within them)."""
    from agency.money import format_eur

    client = case.client
    breaches = []
    if len(amounts) > client.plan_max_instalments:
        breaches.append(
            f"{len(amounts)} instalments; the client allows {client.plan_max_instalments}"
        )
    if min(amounts) < client.plan_min_instalment_cents:
        breaches.append(
            f"instalment of {format_eur(min(amounts))}; the client's minimum is "
            f"{format_eur(client.plan_min_instalment_cents)}"
        )
    return breaches


def _activate(arrangement: Arrangement, case: Case, *, today: date, actor: User | None) -> None:
    if case.status not in (CaseStatus.NEW, CaseStatus.DUNNING, CaseStatus.PROMISED):
        raise WorkError("the case can no longer go under a payment plan")
    _cancel_open_promise(case, today=today, actor=actor, why="payment plan")
    arrangement.status = ArrangementStatus.ACTIVE
    transition(case, CaseStatus.ARRANGEMENT, on=today, actor=actor, reason="payment plan")
    pause(case, "arrangement", None, actor=actor)
    case.next_action_on = arrangement.instalments[0].due_on + timedelta(days=GRACE_DAYS + 1)
    db.session.flush()
    audit.record("arrangement.active", arrangement, actor=actor, case_id=case.id)


def propose_arrangement(
    case: Case,
    total_cents: int,
    count: int,
    first_due_on: date,
    *,
    today: date,
    actor: User | None = None,
) -> Arrangement:
    """Agree a monthly payment plan. Within the client's plan rules it starts at once; outside
    them it waits for a supervisor's approval (a supervisor's own plan needs none)."""
    if not case.is_open or case.status not in (
        CaseStatus.NEW,
        CaseStatus.DUNNING,
        CaseStatus.PROMISED,
    ):
        raise WorkError("a payment plan is made for a case in dunning")
    if first_due_on < today:
        raise WorkError("the first instalment cannot fall in the past")
    running = db.session.scalar(
        sa.select(Arrangement.id).where(
            Arrangement.case_id == case.id,
            Arrangement.status.in_([ArrangementStatus.PROPOSED, ArrangementStatus.ACTIVE]),
        )
    )
    if running is not None:
        raise WorkError("the case has a payment plan already")
    if total_cents <= 0 or total_cents > case_balance(case.id).total:
        raise WorkError("a plan covers a positive amount, at most what the debtor owes")
    amounts = instalment_amounts(total_cents, count)
    breaches = plan_rule_breaches(case, amounts)
    self_approved = bool(breaches) and actor is not None and actor.role in SUPERVISORS
    arrangement = Arrangement(
        client_id=case.client_id,
        case_id=case.id,
        debtor_id=case.debtor_id,
        status=ArrangementStatus.PROPOSED,
        total_cents=total_cents,
        made_on=today,
        exceeds_rules="; ".join(breaches) or None,
        approved_by_id=actor.id if self_approved else None,
        approved_at=utcnow() if self_approved else None,
        created_by_id=actor.id if actor else None,
        instalments=[
            Instalment(seq=i + 1, due_on=first_due_on + relativedelta(months=i), amount_cents=a)
            for i, a in enumerate(amounts)
        ],
    )
    db.session.add(arrangement)
    db.session.flush()
    audit.record(
        "arrangement.proposed",
        arrangement,
        actor=actor,
        case_id=case.id,
        cents=total_cents,
        instalments=count,
        exceeds_rules=arrangement.exceeds_rules,
    )
    if not breaches or self_approved:
        _activate(arrangement, case, today=today, actor=actor)
    return arrangement


def approve_arrangement(arrangement: Arrangement, *, today: date, actor: User) -> Arrangement:
    """A supervisor lets a plan outside the client's rules start."""
    if actor.role not in SUPERVISORS:
        raise WorkError("only a supervisor approves a plan outside the client's rules")
    if arrangement.status is not ArrangementStatus.PROPOSED:
        raise WorkError("only a proposed plan can be approved")
    arrangement.approved_by_id = actor.id
    arrangement.approved_at = utcnow()
    _activate(arrangement, db.session.get(Case, arrangement.case_id), today=today, actor=actor)
    return arrangement


def decline_arrangement(arrangement: Arrangement, *, today: date, actor: User) -> Arrangement:
    """A supervisor turns down a proposed plan; the case stays in dunning."""
    if actor.role not in SUPERVISORS:
        raise WorkError("only a supervisor declines a plan")
    if arrangement.status is not ArrangementStatus.PROPOSED:
        raise WorkError("only a proposed plan can be declined")
    arrangement.status = ArrangementStatus.CANCELLED
    arrangement.ended_on = today
    db.session.flush()
    audit.record("arrangement.declined", arrangement, actor=actor, case_id=arrangement.case_id)
    return arrangement


def check_arrangement(
    arrangement: Arrangement, *, today: date, actor: User | None = None
) -> ArrangementStatus:
    """Mark instalments paid by the ledger (payments since the plan began, oldest instalment
    first); a missed one (due date plus the grace days passed) breaks the plan."""
    if arrangement.status is not ArrangementStatus.ACTIVE:
        return arrangement.status
    case = db.session.get(Case, arrangement.case_id)
    paid = paid_between(case.id, arrangement.made_on, today)
    cumulative = 0
    missed = False
    for instalment in arrangement.instalments:
        cumulative += instalment.amount_cents
        if paid >= cumulative:
            instalment.status = InstalmentStatus.PAID
        elif today > instalment.due_on + timedelta(days=GRACE_DAYS):
            instalment.status = InstalmentStatus.MISSED
            missed = True
        else:
            instalment.status = InstalmentStatus.OPEN
    if missed:
        arrangement.status = ArrangementStatus.BROKEN
    elif case.status is CaseStatus.PAID or all(
        i.status is InstalmentStatus.PAID for i in arrangement.instalments
    ):
        arrangement.status = ArrangementStatus.COMPLETED
    else:
        db.session.flush()
        return arrangement.status
    arrangement.ended_on = today
    db.session.flush()
    audit.record(
        f"arrangement.{arrangement.status.value}",
        arrangement,
        actor=actor,
        case_id=case.id,
        paid=paid,
    )
    if case.status is CaseStatus.ARRANGEMENT:
        _back_to_queue(
            case, today=today, actor=actor, reason=f"payment plan {arrangement.status.value}"
        )
    refresh_priorities([case.id], today)
    return arrangement.status


# --- shorter payment terms -----------------------------------------------------------------------


def record_payment_term(
    case: Case,
    old_days: int,
    new_days: int,
    *,
    today: date,
    contact: ContactEntry | None = None,
    actor: User | None = None,
) -> PaymentTermAgreement:
    """Record that the debtor accepted a shorter payment term from the client."""
    if not 0 < new_days < old_days:
        raise WorkError("the new payment term must be shorter than the old one")
    agreement = PaymentTermAgreement(
        client_id=case.client_id,
        case_id=case.id,
        debtor_id=case.debtor_id,
        contact_entry_id=contact.id if contact else None,
        old_days=old_days,
        new_days=new_days,
        agreed_on=today,
        agent_id=actor.id if actor else None,
    )
    db.session.add(agreement)
    db.session.flush()
    audit.record(
        "payment_term.agreed", agreement, actor=actor, case_id=case.id, old=old_days, new=new_days
    )
    return agreement


# --- disputes ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class UploadedFile:
    filename: str
    data: bytes


def check_dispute_file(upload: UploadedFile) -> str:
    """Return the content type of an acceptable dispute file, or raise WorkError."""
    suffix = Path(upload.filename).suffix.lower()
    if suffix not in DISPUTE_FILE_TYPES:
        raise WorkError(f"{upload.filename}: send a PDF, PNG or JPEG file")
    if len(upload.data) > DISPUTE_FILE_MAX_BYTES:
        raise WorkError(f"{upload.filename}: larger than {DISPUTE_FILE_MAX_BYTES // 2**20} MB")
    content_type, signatures = DISPUTE_FILE_TYPES[suffix]
    if not upload.data.startswith(signatures):
        raise WorkError(f"{upload.filename}: the content is not a {suffix[1:].upper()} file")
    return content_type


def record_dispute(
    case: Case,
    invoice: Invoice,
    reason: DisputeReason,
    amount_cents: int,
    *,
    note: str | None,
    files: list[UploadedFile],
    upload_root: Path,
    today: date,
    actor: User | None = None,
) -> Dispute:
    """Record the debtor's dispute about an invoice: dunning pauses until the client decides.

    Files are checked (type, size) and stored under `upload_root`, outside the web root.
    """
    if invoice.case_id != case.id:
        raise WorkError("the invoice is not part of this case")
    if not case.is_open or case.status is CaseStatus.LEGAL:
        raise WorkError("this case cannot be disputed any more")
    open_principal = invoice_open_principal(case.id).get(invoice.id, 0)
    if not 0 < amount_cents <= open_principal:
        raise WorkError("the disputed amount must be positive and at most the invoice's open part")
    types = [check_dispute_file(f) for f in files]
    _cancel_open_promise(case, today=today, actor=actor, why="dispute")
    for running in db.session.scalars(
        sa.select(Arrangement).where(
            Arrangement.case_id == case.id,
            Arrangement.status.in_([ArrangementStatus.PROPOSED, ArrangementStatus.ACTIVE]),
        )
    ):
        running.status = ArrangementStatus.CANCELLED
        running.ended_on = today
        audit.record("arrangement.cancelled", running, actor=actor, why="dispute")
    dispute = Dispute(
        client_id=case.client_id,
        case_id=case.id,
        invoice_id=invoice.id,
        reason=reason,
        note=(note or "").strip() or None,
        amount_cents=amount_cents,
        status=DisputeStatus.OPEN,
        created_by_id=actor.id if actor else None,
    )
    db.session.add(dispute)
    db.session.flush()
    for upload, content_type in zip(files, types, strict=True):
        relative = (
            Path("disputes")
            / str(case.client_id)
            / (f"{dispute.id}-{secrets.token_hex(8)}{Path(upload.filename).suffix.lower()}")
        )
        target = upload_root / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(upload.data)
        db.session.add(
            DisputeFile(
                client_id=case.client_id,
                dispute_id=dispute.id,
                filename=Path(upload.filename).name[:255] or "file",
                content_type=content_type,
                size_bytes=len(upload.data),
                stored_path=str(relative),
            )
        )
    if case.status is not CaseStatus.DISPUTED:
        transition(case, CaseStatus.DISPUTED, on=today, actor=actor, reason=reason.value)
    pause(case, "dispute", None, actor=actor)
    db.session.flush()
    audit.record(
        "dispute.opened",
        dispute,
        actor=actor,
        case_id=case.id,
        invoice=invoice.number,
        cents=amount_cents,
        reason=reason.value,
        files=len(files),
    )
    refresh_priorities([case.id], today)
    return dispute


def resolve_dispute(
    dispute: Dispute,
    *,
    upheld: bool,
    note: str | None,
    today: date,
    actor: User | None = None,
) -> Dispute:
    """The client decides: upheld credits the disputed amount on the invoice; rejected lets
    collection resume. Dunning resumes once no dispute on the case is open."""
    if dispute.status is not DisputeStatus.OPEN:
        raise WorkError("this dispute has been decided already")
    case = db.session.get(Case, dispute.case_id)
    if upheld:
        open_principal = invoice_open_principal(case.id).get(dispute.invoice_id, 0)
        amount = min(dispute.amount_cents, open_principal)
        if amount > 0:
            entry = book_credit(case, dispute, amount, today=today, actor=actor)
            dispute.credit_entry_id = entry.id
    dispute.status = DisputeStatus.UPHELD if upheld else DisputeStatus.REJECTED
    dispute.resolution_note = (note or "").strip() or None
    dispute.resolved_by_id = actor.id if actor else None
    dispute.resolved_at = utcnow()
    db.session.flush()
    audit.record(f"dispute.{dispute.status.value}", dispute, actor=actor, case_id=case.id)
    still_open = db.session.scalar(
        sa.select(sa.func.count()).where(
            Dispute.case_id == case.id, Dispute.status == DisputeStatus.OPEN
        )
    )
    if not still_open and case.status is CaseStatus.DISPUTED:
        _back_to_queue(case, today=today, actor=actor, reason=f"dispute {dispute.status.value}")
    refresh_priorities([case.id], today)
    return dispute


def book_credit(
    case: Case, dispute: Dispute, amount_cents: int, *, today: date, actor: User | None
) -> LedgerEntry:
    """Credit the upheld part of a dispute on its invoice."""
    from agency.ledger.operations import book_reduction

    return book_reduction(
        case,
        EntryKind.CREDIT_NOTE,
        amount_cents,
        booked_on=today,
        source=EntrySource.CLIENT,
        invoice=db.session.get(Invoice, dispute.invoice_id),
        description=f"Dispute upheld ({dispute.reason.value})",
        actor=actor,
    )


def record_contact(
    case: Case,
    *,
    channel: Channel,
    outcome: Outcome,
    note: str | None,
    duration_seconds: int | None,
    next_action_on: date,
    today: date,
    promise: tuple[int, date] | None = None,
    payment_term: tuple[int, int] | None = None,
    corrects: ContactEntry | None = None,
    actor: User | None = None,
) -> ContactEntry:
    """Log a contact together with what came of it: a promise (amount, date) or a shorter
    payment term (old days, new days). A correction names the entry it corrects."""
    entry = log_contact(
        case,
        channel=channel,
        outcome=outcome,
        note=note,
        duration_seconds=duration_seconds,
        next_action_on=next_action_on,
        corrects=corrects,
        today=today,
        actor=actor,
    )
    if outcome is Outcome.PROMISE and promise is not None:
        record_promise(case, promise[0], promise[1], today=today, contact=entry, actor=actor)
        case.next_action_on = next_action_on
    if outcome is Outcome.PAYMENT_TERM and payment_term is not None:
        record_payment_term(
            case, payment_term[0], payment_term[1], today=today, contact=entry, actor=actor
        )
    return entry


# --- calls and SMS -------------------------------------------------------------------------------

SMS_MAX_LENGTH = 320


def phone_refusal(case: Case, moment: datetime, *, sms: bool, extra_days=()) -> str | None:
    """Say why the debtor cannot be phoned or texted now, or None when they can."""
    from agency.contact_log.hours import contact_refusal

    debtor = case.debtor
    if not debtor.phone:
        return _("the debtor has no phone number")
    if sms and not debtor.consent_sms:
        return _("the debtor does not want text messages")
    return contact_refusal(debtor.country, debtor.timezone, moment, extra_days)


def request_call(case: Case, *, now: datetime, extra_days=(), actor: User | None = None) -> str:
    """Ask for a click-to-call to the debtor; it is placed by a job once the request commits.
    Refused outside the legal calling hours of the debtor's country. Returns the request key."""
    from agency import jobs
    from agency.contact_log import tasks

    refusal = phone_refusal(case, now, sms=False, extra_days=extra_days)
    if refusal:
        raise WorkError(refusal)
    key = secrets.token_hex(16)
    audit.record("call.requested", case, actor=actor, request=key)
    jobs.enqueue(
        tasks.place_call,
        case.id,
        actor.id if actor else None,
        key,
        retry=Retry(max=2, interval=[10, 60]),
        timeout=30,
    )
    return key


def request_sms(
    case: Case, body: str, *, now: datetime, extra_days=(), actor: User | None = None
) -> str:
    """Ask for an SMS to the debtor; a job sends it once the request commits. Refused outside
    the legal hours or without the debtor's consent. Returns the request key."""
    from agency import jobs
    from agency.contact_log import tasks

    body = (body or "").strip()
    if not body or len(body) > SMS_MAX_LENGTH:
        raise WorkError(f"an SMS has 1 to {SMS_MAX_LENGTH} characters")
    refusal = phone_refusal(case, now, sms=True, extra_days=extra_days)
    if refusal:
        raise WorkError(refusal)
    key = secrets.token_hex(16)
    audit.record("sms.requested", case, actor=actor, request=key)
    jobs.enqueue(
        tasks.send_sms,
        case.id,
        body,
        actor.id if actor else None,
        key,
        retry=Retry(max=3, interval=[10, 60, 300]),
        timeout=30,
    )
    return key


# --- Twilio's status reports ---------------------------------------------------------------------

# A call leg's final status (Twilio's CallStatus) and what it says about reaching the debtor.
# "failed": Twilio could not place the call at all, which for a dialled number means it does
# not exist or cannot be reached (Twilio's own description of the status).
CALL_OUTCOMES = {
    "completed": Outcome.REACHED,
    "busy": Outcome.NO_ANSWER,
    "no-answer": Outcome.NO_ANSWER,
    "canceled": Outcome.NO_ANSWER,
    "failed": Outcome.WRONG_NUMBER,
}
# An SMS's final status (Twilio's MessageStatus); queued, sending and sent are on the way.
SMS_OUTCOMES = {
    "delivered": Outcome.DELIVERED,
    "undelivered": Outcome.UNDELIVERED,
    "failed": Outcome.FAILED,
}


class UnknownProviderId(AgencyError):
    """A status report about a call or message this agency did not send."""


def _entry_by_provider_id(provider_id: str) -> ContactEntry | None:
    return db.session.scalar(sa.select(ContactEntry).where(ContactEntry.provider_id == provider_id))


def record_call_status(
    call_sid: str,
    status: str,
    *,
    duration_seconds: int | None,
    parent_call_sid: str | None,
    today: date,
) -> ContactEntry | None:
    """Complete a click-to-call's contact entry from Twilio's report on one of its legs.

    The log is append-only, so the result is a new entry that corrects the "call placed" entry:
    outcome and duration of the debtor's leg. A report on the agent's leg adds nothing when it
    completed (the debtor's leg tells how it went); when the agent's phone did not answer, the
    case notes that the debtor was never dialled. The same report twice adds nothing.
    """
    if status not in CALL_OUTCOMES:
        return None  # ringing, in progress: no final word yet
    if duration_seconds is not None and duration_seconds < 0:
        raise WorkError("a duration cannot be negative")
    report_key = f"{call_sid}:{status}"
    if _entry_by_provider_id(report_key) is not None:
        return None
    if parent_call_sid:
        placed = _entry_by_provider_id(parent_call_sid)
        if placed is None or placed.outcome is not Outcome.DIALLED:
            raise UnknownProviderId(f"no call placed with id {parent_call_sid}")
        case = db.session.get(Case, placed.case_id)
        return log_contact(
            case,
            channel=placed.channel,
            outcome=CALL_OUTCOMES[status],
            duration_seconds=duration_seconds if status == "completed" else None,
            corrects=placed,
            provider_id=report_key,
            agent_id=placed.agent_id,
            today=today,
        )
    placed = _entry_by_provider_id(call_sid)
    if placed is None or placed.outcome is not Outcome.DIALLED:
        raise UnknownProviderId(f"no call placed with id {call_sid}")
    if status == "completed":
        return None
    case = db.session.get(Case, placed.case_id)
    earlier = db.session.scalars(
        sa.select(audit.AuditEvent.data).where(
            audit.AuditEvent.action == "call.not_connected",
            audit.AuditEvent.object_type == "cases",
            audit.AuditEvent.object_id == case.id,
        )
    ).all()
    if any((data or {}).get("call") == call_sid for data in earlier):
        return None
    audit.record("call.not_connected", case, call=call_sid, status=status, entry=placed.id)
    db.session.flush()
    return None


def record_sms_status(
    message_sid: str, status: str, *, error_code: str | None, today: date, now: datetime
) -> ContactEntry | Message | None:
    """Record Twilio's final word on a sent SMS: delivered, undelivered or failed.

    An agent's SMS is in the contact log: a new entry corrects it with the delivery outcome
    (append-only). A dunning SMS is an outbox message: its delivery columns are set once.
    The same report twice changes nothing.
    """
    if status not in SMS_OUTCOMES:
        return None  # queued, sending, sent: still on the way
    sent = _entry_by_provider_id(message_sid)
    if sent is not None:
        report_key = f"{message_sid}:{status}"
        if _entry_by_provider_id(report_key) is not None:
            return None
        return log_contact(
            db.session.get(Case, sent.case_id),
            channel=sent.channel,
            outcome=SMS_OUTCOMES[status],
            note=f"Twilio {error_code}" if error_code else None,
            corrects=sent,
            provider_id=report_key,
            agent_id=sent.agent_id,
            today=today,
        )
    from agency.letters.operations import dunning_sms_by_provider_id, record_delivery

    message = dunning_sms_by_provider_id(message_sid)
    if message is None:
        raise UnknownProviderId(f"no SMS sent with id {message_sid}")
    return record_delivery(message, status, error_code=error_code, now=now)
