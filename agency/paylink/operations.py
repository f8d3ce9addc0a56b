"""What the debtor does on the payment page: pass the check, and answer (promise, plan, dispute,
already paid, invoice copy, call back, contact details). Every answer lands in the contact log
(channel "portal"); one that needs a person also sets the case's next action to today, so it
comes up in the agents' queue, and opens a DebtorRequest the case page lists. An open request
raises the case's priority and keeps it in the queues even while the case is paused; marking it
handled puts the case back in its normal place.

Like every operations module: flush and audit, never commit, never read the request.
"""

from __future__ import annotations

import hmac
import re
import secrets
from datetime import date, datetime, timedelta
from pathlib import Path

from agency import audit
from agency.cases.models import Case, Invoice
from agency.cases.operations import update_debtor
from agency.cases.priority import refresh_priorities
from agency.contact_log.models import (
    Arrangement,
    ArrangementStatus,
    Channel,
    ContactEntry,
    Dispute,
    DisputeReason,
    Outcome,
    Promise,
)
from agency.contact_log.operations import (
    UploadedFile,
    WorkError,
    check_dispute_file,
    log_contact,
    propose_arrangement,
    record_dispute,
    record_promise,
)
from agency.extensions import db
from agency.modeling import utcnow
from agency.paylink.models import (
    DebtorFile,
    DebtorRequest,
    PayToken,
    RequestKind,
    RequestStatus,
)


class PaylinkError(WorkError):
    """The debtor's answer does not fit the case; the message is shown to the debtor."""


# --- the check ---------------------------------------------------------------------------------


def _normalised(text: str) -> str:
    return re.sub(r"[\s\-.]", "", text or "").upper()


def answer_matches(case: Case, answer: str) -> bool:
    """Say whether `answer` is the debtor's postcode or the number of one of the case's
    invoices (spaces, dashes, dots and case ignored; compared in constant time)."""
    given = _normalised(answer).encode()
    if not given:
        return False
    known = [case.debtor.postcode or ""] + [inv.number for inv in case.invoices]
    matched = False
    for value in known:
        expected = _normalised(value).encode()
        if expected and hmac.compare_digest(given, expected):
            matched = True
    return matched


def record_check(
    row: PayToken, answer: str, *, max_failures: int, lock_minutes: int, now: datetime
) -> bool:
    """Check the debtor's answer. A run of `max_failures` wrong answers locks the link for
    `lock_minutes`; while locked, even the right answer is refused."""
    if row.locked_until is not None and row.locked_until > now:
        return False
    if answer_matches(row.case, answer):
        row.failed_checks = 0
        row.locked_until = None
        db.session.flush()
        audit.record("paylink.checked", row, case_id=row.case_id)
        return True
    row.failed_checks += 1
    if row.failed_checks >= max_failures:
        row.locked_until = now + timedelta(minutes=lock_minutes)
        row.failed_checks = 0
        audit.record("paylink.locked", row, case_id=row.case_id, until=row.locked_until.isoformat())
    db.session.flush()
    return False


# --- answers -----------------------------------------------------------------------------------


def _log(case: Case, outcome: Outcome, note: str, *, today: date, next_action_on: date | None):
    return log_contact(
        case,
        channel=Channel.PORTAL,
        outcome=outcome,
        note=note,
        next_action_on=next_action_on,
        today=today,
    )


def _request(
    case: Case, kind: RequestKind, entry: ContactEntry, *, today: date, **fields
) -> DebtorRequest:
    request = DebtorRequest(
        client_id=case.client_id,
        case_id=case.id,
        kind=kind,
        status=RequestStatus.OPEN,
        contact_entry_id=entry.id,
        **fields,
    )
    db.session.add(request)
    db.session.flush()
    audit.record(f"paylink.request.{kind.value}", request, case_id=case.id)
    refresh_priorities([case.id], today)
    return request


def debtor_promise(case: Case, amount_cents: int, promised_on: date, *, today: date) -> Promise:
    """The debtor promises to pay an amount by a date; dunning waits until then."""
    entry = _log(
        case,
        Outcome.PROMISE,
        f"Payment page: promise to pay {amount_cents / 100:.2f} EUR by {promised_on.isoformat()}",
        today=today,
        next_action_on=None,
    )
    return record_promise(case, amount_cents, promised_on, today=today, contact=entry)


def debtor_plan(case: Case, count: int, first_due_on: date, *, today: date) -> Arrangement:
    """The debtor proposes a monthly plan for the whole balance: within the client's plan rules
    it runs at once, outside them it waits for a supervisor (a task in the queue)."""
    from agency.ledger.queries import case_balance

    total = case_balance(case.id).total
    arrangement = propose_arrangement(case, total, count, first_due_on, today=today)
    accepted = arrangement.status is ArrangementStatus.ACTIVE
    entry = _log(
        case,
        Outcome.PROMISE,
        f"Payment page: plan of {count} monthly instalments from {first_due_on.isoformat()}"
        + ("" if accepted else f" (outside the plan rules: {arrangement.exceeds_rules})"),
        today=today,
        next_action_on=None if accepted else today,
    )
    if not accepted:
        _request(
            case,
            RequestKind.PLAN,
            entry,
            today=today,
            arrangement_id=arrangement.id,
            amount_cents=total,
        )
    return arrangement


def debtor_dispute(
    case: Case,
    invoice: Invoice,
    reason: DisputeReason,
    message: str,
    files: list[UploadedFile],
    *,
    upload_root: Path,
    today: date,
) -> Dispute:
    """The debtor disputes an invoice's open amount: dunning pauses and the client decides."""
    from agency.ledger.queries import invoice_open_principal

    check_files(files)
    amount = invoice_open_principal(case.id).get(invoice.id, 0)
    dispute = record_dispute(
        case,
        invoice,
        reason,
        amount,
        note=message,
        files=files,
        upload_root=upload_root,
        today=today,
    )
    _log(
        case,
        Outcome.DISPUTE,
        f"Payment page: dispute of invoice {invoice.number} ({reason.value}): {message}",
        today=today,
        next_action_on=None,
    )
    return dispute


MAX_FILES = 5  # files per answer; each is checked like a dispute file (type, 5 MB)


def check_files(files: list[UploadedFile]) -> None:
    """Refuse too many files, or one of the wrong type or size, before anything is written."""
    if len(files) > MAX_FILES:
        raise PaylinkError(f"at most {MAX_FILES} files")
    for upload in files:
        check_dispute_file(upload)


def _store_files(
    case: Case, request: DebtorRequest, files: list[UploadedFile], upload_root: Path
) -> None:
    for upload in files:
        content_type = check_dispute_file(upload)
        suffix = Path(upload.filename).suffix.lower()
        relative = (
            Path("paylink") / str(case.client_id) / f"{request.id}-{secrets.token_hex(8)}{suffix}"
        )
        target = upload_root / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(upload.data)
        db.session.add(
            DebtorFile(
                client_id=case.client_id,
                request_id=request.id,
                filename=Path(upload.filename).name[:255] or "file",
                content_type=content_type,
                size_bytes=len(upload.data),
                stored_path=str(relative),
            )
        )
    db.session.flush()


def debtor_already_paid(
    case: Case,
    amount_cents: int,
    paid_on: date,
    note: str,
    files: list[UploadedFile],
    *,
    upload_root: Path,
    today: date,
) -> DebtorRequest:
    """The debtor says they paid already (with proof): an agent checks it from the queue."""
    if amount_cents <= 0:
        raise PaylinkError("an amount above zero")
    if paid_on > today:
        raise PaylinkError("a payment date in the future")
    check_files(files)
    entry = _log(
        case,
        Outcome.REACHED,
        f"Payment page: says {amount_cents / 100:.2f} EUR was paid on {paid_on.isoformat()}"
        f" ({len(files)} file(s)): {note}",
        today=today,
        next_action_on=today,
    )
    request = _request(
        case,
        RequestKind.ALREADY_PAID,
        entry,
        today=today,
        amount_cents=amount_cents,
        paid_on=paid_on,
        note=note.strip() or None,
    )
    _store_files(case, request, files, upload_root)
    return request


def debtor_invoice_copy(case: Case, invoice: Invoice, *, today: date) -> DebtorRequest:
    """The debtor asks for a copy of an invoice: an agent sends it from the queue."""
    if invoice.case_id != case.id:
        raise PaylinkError("the invoice is not part of this case")
    entry = _log(
        case,
        Outcome.REACHED,
        f"Payment page: asks for a copy of invoice {invoice.number}",
        today=today,
        next_action_on=today,
    )
    return _request(case, RequestKind.INVOICE_COPY, entry, today=today, invoice_id=invoice.id)


def debtor_callback(case: Case, at: datetime, note: str, *, now: datetime) -> DebtorRequest:
    """The debtor asks to be called at a chosen moment (aware datetime), which must fall in
    the legal calling hours; the case's next action becomes that day."""
    from agency.contact_log.hours import contact_refusal

    if at <= now:
        raise PaylinkError("a moment in the future")
    if at > now + timedelta(days=60):
        raise PaylinkError("a moment within the next 60 days")
    if contact_refusal(case.debtor.country, case.debtor.timezone, at) is not None:
        raise PaylinkError("a moment within calling hours")
    local_day = at.astimezone(_zone(case)).date()
    day = now.astimezone(_zone(case)).date()
    if case.next_action_on is not None and day <= case.next_action_on < local_day:
        local_day = case.next_action_on  # something earlier is waiting already
    entry = _log(
        case,
        Outcome.CALLBACK,
        f"Payment page: call back on {at.astimezone(_zone(case)):%Y-%m-%d %H:%M}: {note}",
        today=day,
        next_action_on=local_day,
    )
    return _request(
        case, RequestKind.CALLBACK, entry, today=day, callback_at=at, note=note.strip() or None
    )


def _zone(case: Case):
    from zoneinfo import ZoneInfo

    return ZoneInfo(case.debtor.timezone or "Europe/Amsterdam")


DEBTOR_EDITABLE = ("street", "postcode", "city", "email", "phone")


def debtor_contact_details(case: Case, values: dict, *, today: date) -> dict:
    """The debtor corrects their address, e-mail or phone; the case page keeps the history."""
    changes = update_debtor(case.debtor, {k: values[k] for k in DEBTOR_EDITABLE if k in values})
    if changes:
        fields = ", ".join(sorted(changes))
        entry = _log(
            case,
            Outcome.REACHED,
            f"Payment page: contact details corrected ({fields})",
            today=today,
            next_action_on=None,
        )
        _request(case, RequestKind.CONTACT_DETAILS, entry, today=today, note=fields)
    return changes


def handle_request(request: DebtorRequest, *, actor, today: date) -> DebtorRequest:
    """An agent marks a debtor's request handled; the case's priority drops back once no other
    request is open."""
    if request.status is not RequestStatus.OPEN:
        raise PaylinkError("the request is handled already")
    actor_id = actor.id  # read before the change: loading it may flush (status iff handled_at)
    request.handled_by_id = actor_id
    request.handled_at = utcnow()
    request.status = RequestStatus.DONE
    db.session.flush()
    audit.record("paylink.request.done", request, actor=actor, case_id=request.case_id)
    refresh_priorities([request.case_id], today)
    return request
