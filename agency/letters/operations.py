"""State changes of dunning: scheduling outbox messages, dispatching them, editing policies.

Exactly once: a message is unique per (case, step, channel); dispatch claims it with a
conditional UPDATE (pending -> sending) committed before anything leaves; the case is re-read
(and locked) after the claim, and a case that should not be dunned any more gets nothing.
Like every operation these flush and audit, and leave the commit to the caller (tasks.py).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app

from agency import audit
from agency.auth.models import User
from agency.cases.charges import statutory_interest, wik_costs
from agency.cases.models import Case, CaseStatus, InterestKind, Invoice
from agency.cases.operations import transition
from agency.cases.queries import interest_rates
from agency.clients.models import Client, Segment
from agency.errors import AgencyError
from agency.extensions import db
from agency.i18n import lazy_gettext as _l
from agency.ledger.models import EntryKind, EntrySource, LedgerEntry
from agency.ledger.operations import book_charge
from agency.ledger.queries import Balance, case_balance, case_ledger, invoice_open_principal
from agency.letters import schedule
from agency.letters.links import payment_url
from agency.letters.models import (
    LANGUAGES,
    Channel,
    DeliveryStatus,
    DunningPolicy,
    DunningStep,
    LetterTemplate,
    Message,
    MessageStatus,
    OffsetFrom,
    StepCosts,
    TemplateKind,
)
from agency.letters.policies import ensure_default_policies, policy_for
from agency.letters.render import render_text, template_variables
from agency.letters.wording import DEFAULT_TEMPLATES
from agency.modeling import AGENCY_TZ, utcnow

DUNNABLE = (CaseStatus.NEW, CaseStatus.DUNNING)
# A claim older than this was interrupted (a killed worker); DUNNING_STALE_CLAIM_SECONDS.
STALE_CLAIM = timedelta(minutes=15)
B2B_MINIMUM_CENTS = 40_00  # art. 6:96 lid 4 BW, per claim


class DunningError(AgencyError):
    """A dunning message or policy cannot be handled as asked."""


def designated_holidays() -> tuple[date, ...]:
    return tuple(current_app.config.get("DESIGNATED_HOLIDAYS") or ())


def local_day(moment: datetime) -> date:
    return moment.astimezone(AGENCY_TZ).date()


# --- templates and content -----------------------------------------------------------------


@dataclass(frozen=True)
class TemplateText:
    subject: str
    body: str
    sms_text: str


def letter_language(case: Case) -> str:
    """The debtor's language if letters exist in it, else Dutch."""
    language = (case.debtor.language or "nl").lower()
    return language if language in LANGUAGES else "nl"


def template_text(client_id: int | None, kind: TemplateKind, language: str) -> TemplateText:
    """The client's template, else the agency's, else the built-in default."""
    rows = db.session.scalars(
        sa.select(LetterTemplate).where(
            LetterTemplate.kind == kind,
            LetterTemplate.language == language,
            sa.or_(LetterTemplate.client_id == client_id, LetterTemplate.client_id.is_(None)),
        )
    ).all()
    rows = sorted(rows, key=lambda t: t.client_id is None)
    if rows:
        return TemplateText(rows[0].subject, rows[0].body, rows[0].sms_text)
    subject, body, sms = DEFAULT_TEMPLATES[(kind, language)]
    return TemplateText(subject, body, sms)


def _agency() -> dict[str, str]:
    config = current_app.config
    return {
        "name": config["AGENCY_NAME"],
        "registration": config["AGENCY_REGISTRATION"],
        "email": config["AGENCY_EMAIL"],
        "phone": config["AGENCY_PHONE"],
        "iban": config["AGENCY_IBAN"],
        "address": config["AGENCY_ADDRESS"],
    }


def _logo_path(client: Client) -> str | None:
    if not client.logo_path:
        return None
    from pathlib import Path

    path = Path(client.logo_path)
    return str(path if path.is_absolute() else Path(current_app.instance_path) / path)


def letter_content(
    case: Case,
    kind: TemplateKind,
    *,
    on: date,
    language: str | None = None,
    term_ends_on: date | None = None,
    stated_costs_cents: int | None = None,
    text: TemplateText | None = None,
    ledger: tuple[Balance, dict[int, int]] | None = None,
    invoices: list[Invoice] | None = None,
) -> dict[str, Any]:
    """Collect what a letter shows, as a JSON-able snapshot, and render its template.

    `ledger` is a `case_ledger` reading of this case in this transaction, if one was made.
    `invoices` are the case's invoices if read already; they are read afresh when the ledger
    holds open principal on an invoice not among them (one added to the case since).
    """
    language = language or letter_language(case)
    client, debtor = case.client, case.debtor
    balance, open_principal = ledger or case_ledger(case.id)
    if invoices is None or not {
        invoice_id for invoice_id, cents in open_principal.items() if cents > 0
    } <= {inv.id for inv in invoices}:
        invoices = case.invoices
    invoices = [
        {
            "number": inv.number,
            "invoice_date": inv.invoice_date.isoformat(),
            "due_date": inv.due_date.isoformat(),
            "open_cents": open_principal.get(inv.id, 0),
        }
        for inv in invoices
        if open_principal.get(inv.id, 0) > 0
    ]
    content: dict[str, Any] = {
        "language": language,
        "kind": kind.value,
        "date": on.isoformat(),
        "reference": case.reference,
        "debtor": {
            "name": debtor.name,
            "contact_name": debtor.contact_name,
            "street": debtor.street,
            "postcode": debtor.postcode,
            "city": debtor.city,
            "country": debtor.country,
        },
        "creditor": {"name": client.name, "sender_name": client.sender_name or client.name},
        "branding": {
            "colour": client.brand_colour,
            "font": client.brand_font,
            "logo_path": _logo_path(client),
        },
        "agency": _agency(),
        "invoices": invoices,
        "balance": {
            "principal": balance.principal,
            "cost": balance.cost,
            "interest": balance.interest,
            "total": balance.total,
        },
        "vat_on_costs": client.vat_on_costs,
        "payment_url": payment_url(case),
        "term_ends_on": term_ends_on.isoformat() if term_ends_on else None,
        "stated_costs_cents": stated_costs_cents,
    }
    text = text or template_text(client.id, kind, language)
    variables = template_variables(content)
    content["subject"] = render_text(text.subject, variables)
    content["body"] = render_text(text.body, variables)
    content["sms"] = render_text(text.sms_text, variables)
    return content


# --- scheduling ----------------------------------------------------------------------------


def _open_due_dates(case: Case) -> list[date]:
    open_principal = invoice_open_principal(case.id)
    return [inv.due_date for inv in case.invoices if open_principal.get(inv.id, 0) > 0]


def latest_term_letter(case_id: int) -> Message | None:
    """The sent letter that started a term (NL 14-day letter, BE reminder) ending the latest."""
    return db.session.scalar(
        sa.select(Message)
        .where(
            Message.case_id == case_id,
            Message.status == MessageStatus.SENT,
            Message.costs_from.is_not(None),
        )
        .order_by(Message.costs_from.desc(), Message.id.desc())
        .limit(1)
    )


def _channel_refusal(case: Case, channel: Channel) -> str | None:
    """Why a channel cannot be used for this debtor, if it cannot."""
    debtor = case.debtor
    if channel is Channel.EMAIL:
        if not debtor.email:
            return "no e-mail address"
        if not debtor.consent_email:
            return "no consent for e-mail"
    if channel is Channel.SMS:
        if not debtor.phone:
            return "no mobile number"
        if not debtor.consent_sms:
            return "no consent for SMS"
    return None


def step_due_on(case: Case, step: DunningStep, previous_done_on: date | None) -> date | None:
    """The day a step falls due for a case, or None when nothing is open to count from."""
    if step.offset_from is OffsetFrom.DUE_DATE:
        due_dates = _open_due_dates(case)
        if not due_dates:
            return None
        due_on = min(due_dates) + timedelta(days=step.offset_days)
        if previous_done_on is not None:
            due_on = max(due_on, previous_done_on)
    else:
        due_on = (previous_done_on or case.opened_on) + timedelta(days=step.offset_days)
    if step.costs in (StepCosts.WIK, StepCosts.BE_DAMAGES):
        # Costs only from the day after the term of the letter that announced them.
        letter = latest_term_letter(case.id)
        if letter is not None and letter.costs_from and letter.costs_from > due_on:
            due_on = letter.costs_from
    return due_on


def next_step(case: Case, policy: DunningPolicy, today: date) -> DunningStep | None:
    """The step whose messages should be created today, if any."""
    existing: dict[int, list[Message]] = {}
    for message in db.session.scalars(sa.select(Message).where(Message.case_id == case.id)):
        existing.setdefault(message.step_id, []).append(message)
    previous_done_on: date | None = None
    for step in policy.steps:
        messages = existing.get(step.id)
        if messages:
            if any(not m.status.is_final for m in messages):
                return None  # the step is still going out
            previous_done_on = max(local_day(m.finished_at or m.created_at) for m in messages)
            continue
        due_on = step_due_on(case, step, previous_done_on)
        return step if due_on is not None and due_on <= today else None
    return None


def schedule_case(case: Case, *, today: date, now: datetime | None = None) -> list[Message]:
    """Create the outbox messages of the case's next due step; return the new ones."""
    now = now or utcnow()
    if case.status not in DUNNABLE or case.paused_reason or case_ledger(case.id)[0].total <= 0:
        return []
    policy = policy_for(case)
    if policy is None:
        return []
    step = next_step(case, policy, today)
    if step is None:
        return []
    created = []
    for channel in step.channel_list:
        message = Message(
            client_id=case.client_id,
            case_id=case.id,
            step_id=step.id,
            channel=channel,
            send_after=now,
        )
        refusal = _channel_refusal(case, channel)
        if refusal:
            message.status = MessageStatus.CANCELLED
            message.cancel_reason = refusal
            message.finished_at = now
        db.session.add(message)
        created.append(message)
    db.session.flush()
    if case.status is CaseStatus.NEW:
        transition(case, CaseStatus.DUNNING, on=today, reason="dunning started")
    audit.record(
        "dunning.scheduled", case, step=step.name, channels=[m.channel.value for m in created]
    )
    return created


def dunnable_case_ids() -> list[int]:
    """Ids of the cases the scheduler looks at: open, dunnable and not paused."""
    return list(
        db.session.scalars(
            sa.select(Case.id)
            .where(Case.status.in_(DUNNABLE), Case.paused_reason.is_(None))
            .order_by(Case.id)
        )
    )


def due_pending_message_ids(now: datetime) -> list[int]:
    """Ids of pending messages that may be dispatched now."""
    return list(
        db.session.scalars(
            sa.select(Message.id)
            .where(Message.status == MessageStatus.PENDING, Message.send_after <= now)
            .order_by(Message.id)
        )
    )


def recover_interrupted_claims(now: datetime, stale_after: timedelta = STALE_CLAIM) -> int:
    """Settle claims older than `stale_after` that never finished; return how many.

    Their worker died. Not yet handed over to a provider, nothing left: the message goes back
    to the outbox. Handed over, whether the provider took it is unknown: it is failed for a
    person to check and not sent again by itself (that could send it twice). Each change is a
    conditional UPDATE on the claim's attempt, so a worker still holding it keeps it.
    """
    stale = db.session.execute(
        sa.select(Message.id, Message.attempts, Message.handed_over_at).where(
            Message.status == MessageStatus.SENDING, Message.claimed_at < now - stale_after
        )
    ).all()
    settled = 0
    for message_id, attempt, handed_over_at in stale:
        claim_held = (
            sa.update(Message)
            .where(
                Message.id == message_id,
                Message.status == MessageStatus.SENDING,
                Message.attempts == attempt,
            )
            .execution_options(synchronize_session=False)
        )
        if handed_over_at is None:
            statement = claim_held.where(Message.handed_over_at.is_(None)).values(
                status=MessageStatus.PENDING, claimed_at=None
            )
            event = "dunning.claim_recovered"
        else:
            statement = claim_held.where(Message.handed_over_at.is_not(None)).values(
                status=MessageStatus.FAILED,
                finished_at=now,
                last_error=(
                    "interrupted while sending: it is unknown whether it went out; "
                    "check before sending it again"
                ),
            )
            event = "dunning.interrupted"
        if db.session.execute(statement).rowcount == 1:
            settled += 1
            audit.record(event, db.session.get(Message, message_id))
    db.session.flush()
    return settled


# --- dispatch ------------------------------------------------------------------------------


def claim(message_id: int, now: datetime) -> int | None:
    """Take a pending message for sending; return the claim's attempt number, or None.

    Only one caller ever gets a number for one attempt.
    """
    return db.session.scalar(
        sa.update(Message)
        .where(Message.id == message_id, Message.status == MessageStatus.PENDING)
        .values(
            status=MessageStatus.SENDING,
            claimed_at=now,
            handed_over_at=None,
            attempts=Message.attempts + 1,
        )
        .returning(Message.attempts)
        .execution_options(synchronize_session=False)
    )


def claim_batch(message_ids: list[int], now: datetime) -> dict[int, int]:
    """Take the pending ones of these messages for sending; return their attempt numbers.

    One statement for a dispatch batch; the claimed rows are refreshed in the session.
    """
    if not message_ids:
        return {}
    claimed = db.session.scalars(
        sa.update(Message)
        .where(Message.id.in_(message_ids), Message.status == MessageStatus.PENDING)
        .values(
            status=MessageStatus.SENDING,
            claimed_at=now,
            handed_over_at=None,
            attempts=Message.attempts + 1,
        )
        .returning(Message),
        execution_options={"populate_existing": True},
    ).all()
    return {message.id: message.attempts for message in claimed}


def hold_claim(message_id: int, attempt: int, now: datetime, *, hand_over: bool) -> bool:
    """Lock a claimed message for this transaction if the claim is still this attempt's.

    With `hand_over`, also note the moment it goes to the provider (to be committed first).
    """
    result = db.session.execute(
        _hold_statement(hand_over),
        {"message_id": message_id, "attempt": attempt, "now": now},
    )
    return result.rowcount == 1


@functools.cache
def _hold_statement(hand_over: bool) -> sa.Update:
    values: dict[str, Any] = (
        {"handed_over_at": sa.bindparam("now")} if hand_over else {"claimed_at": Message.claimed_at}
    )
    return (
        sa.update(Message)
        .where(
            Message.id == sa.bindparam("message_id"),
            Message.status == MessageStatus.SENDING,
            Message.attempts == sa.bindparam("attempt"),
        )
        .values(**values)
        .execution_options(synchronize_session=False)
    )


def why_not_send(
    case: Case, message: Message, ledger: tuple[Balance, dict[int, int]] | None = None
) -> str | None:
    """The reason a claimed message must not go out any more, or None when it may."""
    step = message.step
    allowed = DUNNABLE + ((CaseStatus.LEGAL,) if step.hand_to_legal else ())
    if case.status not in allowed:
        return f"case is {case.status.value}"
    if case.paused_reason:
        return f"case paused: {case.paused_reason}"[:120]
    balance = (ledger or case_ledger(case.id))[0]
    if balance.total <= 0 and message.channel is not Channel.CLIENT_EMAIL:
        return "nothing owed any more"
    return None


def cancel(message: Message, reason: str, now: datetime) -> Message:
    """Cancel a message with the reason it will not be sent."""
    message.status = MessageStatus.CANCELLED
    message.cancel_reason = reason[:120]
    message.finished_at = now
    db.session.flush()
    audit.record("dunning.cancelled", message, reason=reason)
    return message


def _step_sibling_sent(message: Message) -> Message | None:
    """Another message of the same case and step that was already sent."""
    return db.session.scalar(
        sa.select(Message)
        .where(
            Message.case_id == message.case_id,
            Message.step_id == message.step_id,
            Message.status == MessageStatus.SENT,
            Message.id != message.id,
        )
        .order_by(Message.id)
        .limit(1)
    )


def _dunning_costs_booked(case_id: int) -> bool:
    return (
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(LedgerEntry)
            .where(
                LedgerEntry.case_id == case_id,
                LedgerEntry.kind == EntryKind.COST,
                LedgerEntry.source == EntrySource.DUNNING,
                LedgerEntry.reverses_id.is_(None),
            )
        )
        > 0
    )


def book_step_costs(case: Case, step: DunningStep, today: date) -> int:
    """Book the collection costs a step charges; return the cents booked (0 when none may be)."""
    if step.costs is StepCosts.NONE or _dunning_costs_booked(case.id):
        return 0
    balance = case_balance(case.id)
    if balance.principal <= 0:
        return 0
    if step.costs is StepCosts.B2B_MINIMUM:
        # Art. 6:96 lid 4 BW: at least EUR 40 per overdue claim, from the day after its due
        # date, without a letter. VAT on top only for clients who declared it.
        open_principal = invoice_open_principal(case.id)
        overdue = [
            inv
            for inv in case.invoices
            if open_principal.get(inv.id, 0) > 0 and inv.due_date < today
        ]
        cents = 0
        for invoice in overdue:
            amount = _with_vat(B2B_MINIMUM_CENTS, case.client)
            book_charge(
                case,
                EntryKind.COST,
                amount,
                booked_on=today,
                source=EntrySource.DUNNING,
                invoice=invoice,
                description=f"Vergoeding art. 6:96 lid 4 BW ({invoice.number})",
            )
            cents += amount
        return cents
    letter = latest_term_letter(case.id)
    if letter is None or letter.costs_from is None or letter.costs_from > today:
        # No valid letter, or its term has not passed: no costs (art. 6:96 lid 6 BW).
        audit.record("dunning.costs_withheld", case, step=step.name)
        return 0
    cents = letter.stated_costs_cents or 0
    if cents <= 0:
        return 0
    label = (
        "Schadevergoeding boek XIX WER"
        if step.costs is StepCosts.BE_DAMAGES
        else "Incassokosten (WIK)"
    )
    book_charge(
        case,
        EntryKind.COST,
        cents,
        booked_on=today,
        source=EntrySource.DUNNING,
        description=f"{label}, aangekondigd {letter.posted_on or local_day(letter.finished_at)}",
    )
    return cents


def _with_vat(cents: int, client: Client) -> int:
    from decimal import Decimal

    from agency.money import to_cents

    if not client.vat_on_costs:
        return cents
    return to_cents(Decimal(cents) * Decimal("1.21") / 100)


def book_step_interest(case: Case, today: date) -> int:
    """Book the statutory interest accrued per invoice up to `today`; return the cents booked.

    Consumer interest (art. 6:119 BW) for B2C, commercial (art. 6:119a BW) for B2B, from the
    day after the due date on the invoice's open principal, less interest booked before.
    """
    kind = InterestKind.CONSUMER if case.segment is Segment.B2C else InterestKind.COMMERCIAL
    rates = interest_rates(kind)
    if not rates:
        raise DunningError(f"no {kind.value} statutory interest rates are known")
    # Interest before the first known rate is not charged: less than owed, never more.
    first_rate = rates[0][0]
    open_principal = invoice_open_principal(case.id)
    booked = dict(
        db.session.execute(
            sa.select(LedgerEntry.invoice_id, sa.func.sum(LedgerEntry.amount_cents))
            .where(LedgerEntry.case_id == case.id, LedgerEntry.kind == EntryKind.INTEREST)
            .group_by(LedgerEntry.invoice_id)
        ).all()
    )
    total = 0
    for invoice in case.invoices:
        principal = open_principal.get(invoice.id, 0)
        if principal <= 0:
            continue
        start = max(invoice.due_date + timedelta(days=1), first_rate)
        accrued = statutory_interest(principal, start, today, kind, rates=rates)
        due = accrued - int(booked.get(invoice.id) or 0)
        if due > 0:
            book_charge(
                case,
                EntryKind.INTEREST,
                due,
                booked_on=today,
                source=EntrySource.DUNNING,
                invoice=invoice,
                description=f"Wettelijke rente tot {today.isoformat()}",
            )
            total += due
    return total


def term_of_letter(case: Case, sent_on: date) -> tuple[date, date, int]:
    """(the term's last day, first day costs may be booked, costs stated) for a term letter.

    NL: receipt of a posted letter, then 14 days (art. 6:96 lid 6 BW); the costs are the WIK
    scale over all the debtor's claims in the letter together, with VAT when declared.
    BE: Book XIX WER, the 14 days after a paper reminder; the damages on its scale.
    """
    principal = sum(v for v in invoice_open_principal(case.id).values() if v > 0)
    if (case.debtor.country or "NL").upper() == "BE":
        last_day, costs_from = schedule.be_term(sent_on, by_post=True)
        return last_day, costs_from, schedule.be_damages(principal)
    _, last_day, costs_from = schedule.nl_costs_from(sent_on, designated_holidays())
    return last_day, costs_from, wik_costs(principal, vat=case.client.vat_on_costs)


@dataclass
class Prepared:
    """A claimed message made ready to send: its content and where it goes."""

    message: Message
    content: dict[str, Any]
    recipient: str | None


def prepare(
    message: Message,
    case: Case,
    *,
    moment: datetime,
    templates: dict[tuple[int, TemplateKind, str], TemplateText] | None = None,
    ledger: tuple[Balance, dict[int, int]] | None = None,
    invoices: list[Invoice] | None = None,
) -> Prepared:
    """Book what the step charges (once per step), fix the term, render the content.

    `templates` keeps the wording looked up for a client, kind and language across a batch;
    `ledger` is a `case_ledger` reading made in this transaction, used if nothing is booked;
    `invoices` the case's invoices read earlier for the batch (see `letter_content`).
    """
    today = local_day(moment)
    step = message.step
    charges = step.costs is not StepCosts.NONE or step.interest or step.hand_to_legal
    if charges and _step_sibling_sent(message) is None:
        ledger = None  # read again after the booking
        book_step_costs(case, step, today)
        if step.interest:
            book_step_interest(case, today)
        if step.hand_to_legal and case.status is not CaseStatus.LEGAL:
            transition(case, CaseStatus.LEGAL, on=today, reason="handed over by the dunning policy")
    posted_on = schedule.posting_day(moment, designated_holidays())
    if step.fourteen_day_letter:
        # Counted from the day the letter is posted, whichever channel goes first: the e-mail
        # never states an earlier term than the letter.
        term, costs_from, stated = term_of_letter(case, posted_on)
        message.term_ends_on, message.costs_from = term, costs_from
        message.stated_costs_cents = stated
    kind = step.template
    language = letter_language(case)
    recipient: str | None = None
    if message.channel is Channel.CLIENT_EMAIL:
        kind = TemplateKind.CLIENT_LEGAL_NOTICE
        language = "nl" if (case.client.country or "NL") in ("NL", "BE") else "en"
        recipient = case.client.email
    elif message.channel is Channel.EMAIL:
        recipient = case.debtor.email
    elif message.channel is Channel.SMS:
        recipient = case.debtor.phone
    key = (case.client_id, kind, language)
    if templates is None or key not in templates:
        text = template_text(case.client_id, kind, language)
        if templates is not None:
            templates[key] = text
    else:
        text = templates[key]
    content = letter_content(
        case,
        kind,
        on=posted_on if message.channel is Channel.LETTER else today,
        language=language,
        term_ends_on=message.term_ends_on,
        stated_costs_cents=message.stated_costs_cents,
        text=text,
        ledger=ledger,
        invoices=invoices,
    )
    if message.channel is Channel.LETTER:
        message.posted_on = posted_on
    db.session.flush()
    return Prepared(message, content, recipient)


def mark_sent(
    message: Message,
    *,
    provider_id: str | None,
    recipient: str | None,
    content: dict[str, Any],
    now: datetime,
) -> Message:
    """Record that the message went out."""
    message.status = MessageStatus.SENT
    message.finished_at = now
    message.provider_id = provider_id
    message.recipient = recipient
    message.content = content
    message.last_error = None
    db.session.flush()
    audit.record(
        "dunning.sent",
        message,
        channel=message.channel.value,
        step=message.step.name,
        recipient=recipient,
    )
    return message


def record_failure(
    message: Message, error: str, *, now: datetime, final: bool, retry_in: int = 0
) -> Message:
    """Give a claimed message back for a later attempt, or mark it failed for good."""
    message.last_error = error[:2000]
    if final:
        message.status = MessageStatus.FAILED
        message.finished_at = now
        audit.record("dunning.failed", message, error=error[:500], attempts=message.attempts)
    else:
        message.status = MessageStatus.PENDING
        message.send_after = now + timedelta(seconds=retry_in)
    db.session.flush()
    return message


def dunning_sms_by_provider_id(provider_id: str) -> Message | None:
    """Return the sent dunning SMS that Twilio knows by `provider_id`."""
    return db.session.scalar(
        sa.select(Message).where(Message.channel == Channel.SMS, Message.provider_id == provider_id)
    )


def record_delivery(
    message: Message, status: str, *, error_code: str | None, now: datetime
) -> Message | None:
    """Record the network's final word on a dunning SMS; the first report stands, so a
    replayed one changes nothing (returns None)."""
    if message.delivery_status is not None:
        return None
    message.delivery_status = DeliveryStatus(status)
    message.delivery_reported_at = now
    db.session.flush()
    audit.record("dunning.delivery", message, status=status, error=error_code)
    return message


def retry_failed(message: Message, *, actor: User | None, now: datetime | None = None) -> Message:
    """Put a failed message back in the outbox (a person checked it)."""
    if message.status is not MessageStatus.FAILED:
        raise DunningError(_l("Only a failed message can be sent again."))
    message.status = MessageStatus.PENDING
    message.attempts = 0
    message.finished_at = None
    message.send_after = now or utcnow()
    db.session.flush()
    audit.record("dunning.retry", message, actor=actor)
    return message


# --- back office edits ---------------------------------------------------------------------


def copy_policy_for_client(
    client: Client, segment: Segment, country: str, *, actor: User | None
) -> DunningPolicy:
    """Give a client its own policy, starting as a copy of the agency's default."""
    ensure_default_policies()
    existing = db.session.scalar(
        sa.select(DunningPolicy).where(
            DunningPolicy.client_id == client.id,
            DunningPolicy.segment == segment,
            DunningPolicy.country == country,
        )
    )
    if existing is not None:
        return existing
    default = db.session.scalar(
        sa.select(DunningPolicy).where(
            DunningPolicy.client_id.is_(None),
            DunningPolicy.segment == segment,
            DunningPolicy.country == country,
        )
    )
    policy = DunningPolicy(
        client_id=client.id,
        segment=segment,
        country=country,
        name=f"{default.name} – {client.name}",
    )
    for step in default.steps:
        policy.steps.append(
            DunningStep(
                position=step.position,
                name=step.name,
                offset_days=step.offset_days,
                offset_from=step.offset_from,
                channels=step.channels,
                template=step.template,
                costs=step.costs,
                interest=step.interest,
                fourteen_day_letter=step.fourteen_day_letter,
                hand_to_legal=step.hand_to_legal,
            )
        )
    db.session.add(policy)
    db.session.flush()
    audit.record("dunning.policy_created", policy, actor=actor, client_id=client.id)
    return policy


def update_step(step: DunningStep, *, actor: User | None, **fields: Any) -> DunningStep:
    """Change a step's timing, channels, template and charges."""
    channels = fields.get("channels")
    if channels is not None:
        if not channels:
            raise DunningError(_l("A step needs at least one channel."))
        fields["channels"] = ",".join(Channel(c).value for c in channels)
    before = {k: _plain(getattr(step, k)) for k in fields}
    for key, value in fields.items():
        setattr(step, key, value)
    db.session.flush()
    after = {k: _plain(getattr(step, k)) for k in fields}
    audit.record(
        "dunning.step_changed",
        step,
        actor=actor,
        client_id=step.policy.client_id,
        before=before,
        after=after,
    )
    return step


def _plain(value: Any) -> Any:
    return value.value if hasattr(value, "value") else value


def customise_template(
    client: Client | None, kind: TemplateKind, language: str, *, actor: User | None
) -> LetterTemplate:
    """Create a client's (or the agency's) own template from the wording in force now."""
    if language not in LANGUAGES:
        raise DunningError(f"letters are written in {', '.join(LANGUAGES)}")
    client_id = client.id if client else None
    existing = db.session.scalar(
        sa.select(LetterTemplate).where(
            LetterTemplate.kind == kind,
            LetterTemplate.language == language,
            LetterTemplate.client_id == client_id
            if client_id is not None
            else LetterTemplate.client_id.is_(None),
        )
    )
    if existing is not None:
        return existing
    text = template_text(client_id, kind, language)
    template = LetterTemplate(
        client_id=client_id,
        kind=kind,
        language=language,
        subject=text.subject,
        body=text.body,
        sms_text=text.sms_text,
        updated_by_id=actor.id if actor else None,
    )
    db.session.add(template)
    db.session.flush()
    audit.record("dunning.template_created", template, actor=actor, client_id=client_id)
    return template


def update_template(
    template: LetterTemplate, *, subject: str, body: str, sms_text: str, actor: User | None
) -> LetterTemplate:
    """Change a template's wording after checking that it renders."""
    check_template(subject, body, sms_text)
    template.subject, template.body, template.sms_text = subject, body, sms_text
    template.updated_by_id = actor.id if actor else None
    db.session.flush()
    audit.record("dunning.template_changed", template, actor=actor)
    return template


SAMPLE_VARIABLES = {
    "debtor_name": "J. de Vries",
    "creditor": "Voorbeeld B.V.",
    "reference": "1234567890123456",
    "total": "€ 1.250,00",
    "principal": "€ 1.100,00",
    "costs": "€ 150,00",
    "interest": "€ 0,00",
    "stated_costs": "€ 165,00",
    "term_ends_on": "14 mei 2025",
    "payment_url": "https://example.invalid/pay/x",
    "sender": "Voorbeeld",
    "agency": "Agency",
}


def check_template(subject: str, body: str, sms_text: str) -> None:
    """Raise TemplateInvalid when a text does not render with the letter's variables."""
    for source in (subject, body, sms_text):
        render_text(source, SAMPLE_VARIABLES)


def update_policy(
    policy: DunningPolicy, *, name: str, steps: list[dict[str, Any]], actor: User | None
) -> DunningPolicy:
    """Change a policy's name and its steps' settings, keeping the legal order of things."""
    if len(steps) != len(policy.steps):
        raise DunningError(_l("The number of steps changed meanwhile; reload the page."))
    policy.name = name
    for step, fields in zip(policy.steps, steps, strict=True):
        update_step(step, actor=actor, **fields)
    check_policy(policy)
    db.session.flush()
    return policy


def check_policy(policy: DunningPolicy) -> None:
    """Refuse a policy that would charge costs the law does not allow yet."""
    seen_term_letter = False
    if policy.country == "BE" and policy.steps and policy.steps[0].costs is not StepCosts.NONE:
        raise DunningError(_l("In Belgium the first reminder is free (Book XIX WER)."))
    for step in policy.steps:
        if step.costs in (StepCosts.WIK, StepCosts.BE_DAMAGES) and not seen_term_letter:
            raise DunningError(
                _l(
                    "Step %(n)s charges costs before any step starts the 14-day term.",
                    n=step.position,
                )
            )
        if step.costs is StepCosts.B2B_MINIMUM and policy.segment is not Segment.B2B:
            raise DunningError(_l("The EUR 40 minimum without a letter is for B2B only."))
        if step.fourteen_day_letter and step.costs is not StepCosts.NONE:
            raise DunningError(_l("The 14-day letter itself must be free."))
        if step.fourteen_day_letter:
            seen_term_letter = True


def update_branding(
    client: Client,
    *,
    sender_name: str | None,
    brand_colour: str,
    brand_font: str,
    logo: bytes | None,
    logo_suffix: str | None,
    logo_dir: Any,
    actor: User | None,
) -> Client:
    """Change the sender name, colour, font and logo letters of this client carry."""
    if logo and not (logo.startswith(b"\x89PNG\r\n\x1a\n") or logo.startswith(b"\xff\xd8\xff")):
        raise DunningError(_l("The logo must be a PNG or JPEG image."))
    client.sender_name = sender_name
    client.brand_colour = brand_colour
    client.brand_font = brand_font
    if logo:
        from pathlib import Path

        folder = Path(logo_dir)
        folder.mkdir(parents=True, exist_ok=True)
        name = f"{client.id}{logo_suffix or '.png'}"
        (folder / name).write_bytes(logo)
        client.logo_path = str(Path(folder.name) / name)
    db.session.flush()
    audit.record(
        "client.branding",
        client,
        actor=actor,
        colour=brand_colour,
        font=brand_font,
        logo=bool(logo),
    )
    return client


def add_step(policy: DunningPolicy, *, actor: User | None) -> DunningStep:
    """Append a step to a policy: a free reminder by e-mail 7 days after the previous step."""
    step = DunningStep(
        position=len(policy.steps) + 1,
        name="Herinnering",
        offset_days=7,
        offset_from=OffsetFrom.PREVIOUS_STEP,
        channels=Channel.EMAIL.value,
        template=TemplateKind.REMINDER,
        costs=StepCosts.NONE,
        interest=False,
        fourteen_day_letter=False,
        hand_to_legal=False,
    )
    policy.steps.append(step)
    db.session.flush()
    audit.record("dunning.step_added", step, actor=actor, client_id=policy.client_id)
    return step


def remove_last_step(policy: DunningPolicy, *, actor: User | None) -> None:
    """Remove a policy's last step, unless messages of it exist (they keep their history)."""
    if len(policy.steps) <= 1:
        raise DunningError(_l("A policy keeps at least one step."))
    step = policy.steps[-1]
    used = db.session.scalar(
        sa.select(sa.func.count()).select_from(Message).where(Message.step_id == step.id)
    )
    if used:
        raise DunningError(_l("Messages of this step exist already; change the step instead."))
    audit.record(
        "dunning.step_removed", policy, actor=actor, client_id=policy.client_id, step=step.name
    )
    policy.steps.remove(step)
    db.session.flush()
