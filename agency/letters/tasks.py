"""Job functions of the dunning engine. They take ids, commit their own work, may run twice.

- `schedule_due_messages` (periodic): creates the outbox messages of due steps, recovers
  interrupted claims, and enqueues dispatch of every pending message that may go now, in
  batches.
- `dispatch_messages`: sends a batch of messages, each at most once, through one database
  session and one SMTP connection. Per message: claim it (pending -> sending, committed),
  re-read and lock the case, book the step's charges, render it; for a live provider commit
  the hand-over moment, call the provider, then record it sent (that record is committed with
  the next message's hand-over, or at the end of the batch). A provider failure gives the
  message back with a back-off and, once the batch is done, fails the job so the job backend
  retries it (rq.Retry); the last attempt leaves the message failed, visible in the back office.

A worker killed between claim and hand-over sent nothing: the next sweep puts the message back
in the outbox. Killed between hand-over and the record of it, the message may have left: it is
failed for a person to check, never sent again by itself.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from rq import Retry

from agency import jobs
from agency.cases.models import Case, Debtor, Invoice
from agency.clients.models import Client
from agency.contact_log import hours
from agency.contact_log.sms import SmsFailed, send_sms
from agency.contact_log.sms import is_live as sms_is_live
from agency.errors import AgencyError
from agency.extensions import db
from agency.ledger.queries import case_ledger
from agency.letters import mail, operations
from agency.letters.models import Channel, DunningStep, Message, MessageStatus
from agency.letters.pdf import letter_pdf
from agency.letters.policies import ensure_default_policies
from agency.letters.wording import FRAME
from agency.modeling import today as local_today
from agency.modeling import utcnow

log = logging.getLogger(__name__)

DISPATCH_TIMEOUT = 120


def _retry_intervals() -> list[int]:
    return list(current_app.config["DUNNING_RETRY_INTERVALS"])


def enqueue_dispatch(message_ids: int | Sequence[int]) -> None:
    """Dispatch messages once the current transaction commits, in batches, retrying failures."""
    ids = [message_ids] if isinstance(message_ids, int) else list(message_ids)
    intervals = _retry_intervals()
    retry = Retry(max=len(intervals), interval=intervals) if intervals else None
    size = max(1, int(current_app.config["DUNNING_DISPATCH_BATCH"]))
    for start in range(0, len(ids), size):
        jobs.enqueue(
            dispatch_messages, ids[start : start + size], retry=retry, timeout=DISPATCH_TIMEOUT
        )


def schedule_due_messages(today: str | None = None) -> int:
    """Create the messages of every due step and send what may go; return how many were made."""
    day = date.fromisoformat(today) if today else local_today()
    now = utcnow()
    ensure_default_policies()
    db.session.commit()
    created = 0
    for case_id in operations.dunnable_case_ids():
        case = db.session.get(Case, case_id)
        try:
            with db.session.begin_nested():
                created += len(operations.schedule_case(case, today=day, now=now))
        except sa.exc.IntegrityError:
            # Another scheduler run made this step's messages first: unique (case, step,
            # channel) kept them single; nothing to do here.
            log.info("case %s was scheduled concurrently", case_id)
        db.session.commit()
    stale_after = timedelta(seconds=current_app.config["DUNNING_STALE_CLAIM_SECONDS"])
    operations.recover_interrupted_claims(now, stale_after)
    db.session.commit()
    enqueue_dispatch(operations.due_pending_message_ids(now))
    db.session.commit()
    return created


def _mail(prepared: operations.Prepared, case: Case) -> mail.Mail:
    message, content = prepared.message, prepared.content
    footer = f"{content['agency']['name']} · {content['agency']['registration']}"
    return mail.build_message(
        to=prepared.recipient,
        subject=content["subject"],
        text=f"{content['body']}\n\n{content['payment_url']}\n\n{footer}",
        html=mail.html_body(
            content["body"],
            content["branding"]["colour"],
            footer,
            link=content["payment_url"] if message.channel is Channel.EMAIL else None,
            link_label=FRAME[content["language"]]["pay_online"],
        ),
        sender_name=content["creditor"]["sender_name"],
        attachment=letter_pdf(content) if message.channel is Channel.EMAIL else None,
        attachment_name=f"{content['reference']}.pdf",
    )


@dataclass
class _Outgoing:
    """A rendered message ready for its channel; `send` hands it over, returns the provider id."""

    live: bool
    send: Callable[[], str | None]


def _outgoing(prepared: operations.Prepared, case: Case, outbox: mail.Outbox) -> _Outgoing:
    """Render the message for its channel (everything that may fail before anything leaves)."""
    message, content = prepared.message, prepared.content
    if message.channel is Channel.LETTER:
        debtor = case.debtor
        if not (debtor.street and debtor.city):
            raise operations.DunningError("no postal address")
        letter_pdf(content)  # fails here, not in the print batch, if it cannot be rendered
        batch = f"print-batch-{message.posted_on.isoformat()}"
        return _Outgoing(live=False, send=lambda: batch)
    if message.channel is Channel.SMS:
        client_id, case_id, to = case.client_id, case.id, prepared.recipient
        return _Outgoing(
            live=sms_is_live(),
            send=lambda: (
                send_sms(to, content["sms"], client_id=client_id, case_id=case_id).provider_id
            ),
        )
    if not prepared.recipient:
        raise operations.DunningError("no e-mail address")
    email = _mail(prepared, case)
    client_id, case_id = case.client_id, case.id
    return _Outgoing(
        live=mail.is_live(),
        send=lambda: outbox.send(email, client_id=client_id, case_id=case_id).provider_id,
    )


def dispatch_message(message_id: int, now: str | None = None) -> str:
    """Send one outbox message at most once; return what happened to it."""
    return dispatch_messages([message_id], now=now)[message_id]


def dispatch_messages(message_ids: Sequence[int], now: str | None = None) -> dict[int, str]:
    """Send a batch of outbox messages, each at most once; return what happened to each.

    The batch is read and claimed in one go; then every message is finished (sent, cancelled,
    given back or failed) and committed before the next goes to its provider, and an error of
    one does not stop the others. The job fails at the end when one of them should be tried
    again, or could not be handled at all.
    """
    moment = datetime.fromisoformat(now) if now else utcnow()
    results: dict[int, str] = {}
    errors: list[Exception] = []
    session = db.session()
    # Within the batch, steps, clients, debtors and invoices read once stay valid; the case and
    # the message are re-read under their locks before each send, the ledger is read afresh.
    session.expire_on_commit = False
    try:
        claimed = _claim_batch(list(message_ids), moment, results)
        templates: dict = {}
        records = _Records()
        with mail.Outbox() as outbox:
            for message_id, claim in claimed.items():
                try:
                    results[message_id] = _dispatch_claimed(
                        message_id, claim, moment, outbox, templates, records
                    )
                except Exception as exc:  # written on the message already; raised below
                    results[message_id] = "failed"
                    errors.append(exc)
            records.commit()
    finally:
        session.expire_on_commit = True
    if errors:
        raise errors[0]
    return results


@dataclass
class _Claim:
    """A claimed message of the batch, with what was read for it in one go.

    The session holds its objects only by weak reference: held here, the batch's message,
    step, debtor and client are not read again for every message.
    """

    attempt: int
    message: Message
    held: tuple[Debtor, Client, DunningStep]
    invoices: list[Invoice]


def _claim_batch(
    message_ids: list[int], moment: datetime, results: dict[int, str]
) -> dict[int, _Claim]:
    """Claim the batch's messages that may go now; note what happened to the others."""
    rows = db.session.execute(
        sa.select(Message, Debtor, Client, DunningStep)
        .join(Case, Case.id == Message.case_id)
        .join(Debtor, Debtor.id == Case.debtor_id)
        .join(Client, Client.id == Case.client_id)
        .join(DunningStep, DunningStep.id == Message.step_id)
        .where(Message.id.in_(message_ids))
    ).all()
    ready = {}
    for message, debtor, *_ in rows:
        if message.status is not MessageStatus.PENDING:
            results[message.id] = "not pending"
        elif message.send_after > moment:
            results[message.id] = "not yet"
        elif (
            message.channel in (Channel.EMAIL, Channel.SMS)
            and (
                allowed_at := hours.next_contact_moment(
                    moment,
                    (debtor.country or "NL").upper(),
                    debtor.timezone or "Europe/Amsterdam",
                    operations.designated_holidays(),
                )
            )
            != moment
        ):
            # Outside legal hours: the periodic sweep sends it once they begin.
            message.send_after = allowed_at
            results[message.id] = "deferred"
        else:
            ready[message.id] = message
    attempts = operations.claim_batch(list(ready), moment)
    db.session.commit()
    invoices: dict[int, list[Invoice]] = {}
    case_ids = {ready[message_id].case_id for message_id in attempts}
    if case_ids:
        for invoice in db.session.scalars(
            sa.select(Invoice)
            .where(Invoice.case_id.in_(case_ids))
            .order_by(Invoice.due_date, Invoice.id)
        ):
            invoices.setdefault(invoice.case_id, []).append(invoice)
    claimed = {
        message.id: _Claim(
            attempts[message.id], message, tuple(held), invoices.get(message.case_id, [])
        )
        for message, *held in rows
        if message.id in attempts
    }
    for message_id in message_ids:
        if message_id in ready and message_id not in attempts:
            results[message_id] = "claimed elsewhere"
        results.setdefault(message_id, "not pending")
    return claimed


@functools.cache
def _locked_case_statement() -> sa.Select:
    """The case of a message still claimed by this attempt, both rows locked; built once."""
    return (
        sa.select(Case)
        .join(Message, Message.case_id == Case.id)
        .where(
            Message.id == sa.bindparam("message_id"),
            Message.status == MessageStatus.SENDING,
            Message.attempts == sa.bindparam("attempt"),
        )
        .with_for_update()
        .execution_options(populate_existing=True)
    )


class _Records:
    """The session's commits in a batch, and the "sent" record that waits for the next one.

    A message a live provider took is recorded sent at once, but committed with the next
    message's hand-over (or at the end of the batch): one commit a letter instead of two. A
    worker killed in between leaves it handed over and unrecorded, failed "interrupted while
    sending" for a person to check, as a kill during the provider call does; still at most one
    message per worker is ever in that state. A rollback for the next message writes the record
    again.
    """

    def __init__(self) -> None:
        self.waiting: list[tuple[operations.Prepared, str | None, datetime]] = []

    def sent(self, prepared: operations.Prepared, provider_id: str | None, now: datetime) -> None:
        self._mark(prepared, provider_id, now)
        self.waiting.append((prepared, provider_id, now))

    def commit(self) -> None:
        db.session.commit()
        self.waiting.clear()

    def rollback(self) -> None:
        db.session.rollback()
        for prepared, provider_id, now in self.waiting:
            self._mark(prepared, provider_id, now)

    @staticmethod
    def _mark(prepared: operations.Prepared, provider_id: str | None, now: datetime) -> None:
        operations.mark_sent(
            prepared.message,
            provider_id=provider_id,
            recipient=prepared.recipient,
            content=prepared.content,
            now=now,
        )


def _dispatch_claimed(
    message_id: int,
    claim: _Claim,
    moment: datetime,
    outbox: mail.Outbox,
    templates: dict,
    records: _Records,
) -> str:
    message, attempt = claim.message, claim.attempt
    # Re-read the case under a row lock: payments, promises and disputes booked meanwhile count,
    # and two channels of one step do not book its charges twice. The message is locked in the
    # same statement if the claim is still this attempt's, so a sweep cannot take it back
    # while this transaction decides.
    case = db.session.scalars(
        _locked_case_statement(), {"message_id": message_id, "attempt": attempt}
    ).one_or_none()
    if case is None:
        records.commit()  # nothing of this message's: only the last one's record, if waiting
        return "claimed elsewhere"
    ledger = case_ledger(case.id)
    reason = operations.why_not_send(case, message, ledger)
    if reason:
        operations.cancel(message, reason, moment)
        records.commit()
        return "cancelled"
    try:
        prepared = operations.prepare(
            message,
            case,
            moment=moment,
            templates=templates,
            ledger=ledger,
            invoices=claim.invoices,
        )
        outgoing = _outgoing(prepared, case, outbox)
        if outgoing.live:
            # From here the provider may have the message: a crash leaves it visible as
            # "maybe sent", never sent again by itself.
            operations.hold_claim(message_id, attempt, moment, hand_over=True)
            records.commit()
        provider_id = outgoing.send()
    except Exception as exc:
        # The claim is committed: whatever went wrong is written on the message before the
        # job ends, so nothing stays "sending" unseen. Provider failures are retried; a message
        # that cannot be sent as it is (no address) fails at once; an unexpected error fails
        # the message and the job, for a person to look at.
        records.rollback()
        message = db.session.get(Message, message_id)
        intervals = _retry_intervals()
        retryable = isinstance(exc, mail.MailFailed | SmsFailed)
        final = not retryable or message.attempts > len(intervals)
        retry_in = intervals[min(message.attempts - 1, len(intervals) - 1)] if intervals else 0
        error = str(exc) if isinstance(exc, AgencyError) else f"{type(exc).__name__}: {exc}"
        operations.record_failure(message, error, now=moment, final=final, retry_in=retry_in)
        records.commit()
        if isinstance(exc, operations.DunningError):
            return "failed"
        raise  # the job backend retries, or keeps the job as failed after the last attempt
    records.sent(prepared, provider_id, moment)
    if not outgoing.live:
        # The sandbox's record of it is in this transaction: both are committed together.
        records.commit()
    return "sent"
