"""Job functions of the dunning engine. They take ids, commit their own work, may run twice.

- `schedule_due_messages` (periodic): creates the outbox messages of due steps, fails stale
  claims, and enqueues dispatch of every pending message that may go now.
- `dispatch_message`: claims one message, re-reads the case, books the step's charges, renders
  and sends it. A provider failure gives the message back with a back-off and raises, so the
  job backend retries (rq.Retry); the last attempt leaves it failed, visible in the back office.
"""

from __future__ import annotations

import logging
from datetime import date, datetime

import sqlalchemy as sa
from flask import current_app
from rq import Retry

from agency import jobs
from agency.cases.models import Case
from agency.contact_log import hours
from agency.contact_log.sms import SmsFailed, send_sms
from agency.errors import AgencyError
from agency.extensions import db
from agency.letters import mail, operations
from agency.letters.models import Channel, Message, MessageStatus
from agency.letters.pdf import letter_pdf
from agency.letters.policies import ensure_default_policies
from agency.letters.wording import FRAME
from agency.modeling import today as local_today
from agency.modeling import utcnow

log = logging.getLogger(__name__)

DISPATCH_TIMEOUT = 120


def _retry_intervals() -> list[int]:
    return list(current_app.config["DUNNING_RETRY_INTERVALS"])


def enqueue_dispatch(message_id: int) -> None:
    """Dispatch a message once the current transaction commits, retrying provider failures."""
    intervals = _retry_intervals()
    retry = Retry(max=len(intervals), interval=intervals) if intervals else None
    jobs.enqueue(dispatch_message, message_id, retry=retry, timeout=DISPATCH_TIMEOUT)


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
    operations.fail_stale_claims(now)
    for message_id in operations.due_pending_message_ids(now):
        enqueue_dispatch(message_id)
    db.session.commit()
    return created


def _send(prepared: operations.Prepared, case: Case) -> str | None:
    """Hand the message to its channel; return the provider's id."""
    message, content = prepared.message, prepared.content
    if message.channel is Channel.LETTER:
        debtor = case.debtor
        if not (debtor.street and debtor.city):
            raise operations.DunningError("no postal address")
        letter_pdf(content)  # fails here, not in the print batch, if it cannot be rendered
        return f"print-batch-{message.posted_on.isoformat()}"
    if message.channel is Channel.SMS:
        result = send_sms(
            prepared.recipient, content["sms"], client_id=case.client_id, case_id=case.id
        )
        return result.provider_id
    if not prepared.recipient:
        raise operations.DunningError("no e-mail address")
    footer = f"{content['agency']['name']} · {content['agency']['registration']}"
    email = mail.build_message(
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
    return mail.send_mail(email, client_id=case.client_id, case_id=case.id).provider_id


def dispatch_message(message_id: int, now: str | None = None) -> str:
    """Send one outbox message at most once; return what happened to it."""
    moment = datetime.fromisoformat(now) if now else utcnow()
    message = db.session.get(Message, message_id)
    if message is None or message.status is not MessageStatus.PENDING:
        return "not pending"
    if message.send_after > moment:
        return "not yet"
    case = db.session.get(Case, message.case_id)
    if message.channel in (Channel.EMAIL, Channel.SMS):
        debtor = case.debtor
        allowed_at = hours.next_contact_moment(
            moment,
            (debtor.country or "NL").upper(),
            debtor.timezone or "Europe/Amsterdam",
            operations.designated_holidays(),
        )
        if allowed_at != moment:
            # Outside legal hours: the periodic sweep sends it once they begin.
            message.send_after = allowed_at
            db.session.commit()
            return "deferred"
    if not operations.claim(message_id, moment):
        db.session.rollback()
        return "claimed elsewhere"
    db.session.commit()

    # Re-read the case under a row lock: payments, promises and disputes booked meanwhile count,
    # and two channels of one step do not book its charges twice.
    db.session.expire_all()
    case = db.session.scalars(
        sa.select(Case).where(Case.id == message.case_id).with_for_update()
    ).one()
    message = db.session.get(Message, message_id)
    reason = operations.why_not_send(case, message)
    if reason:
        operations.cancel(message, reason, moment)
        db.session.commit()
        return "cancelled"
    try:
        prepared = operations.prepare(message, case, moment=moment)
        provider_id = _send(prepared, case)
    except Exception as exc:
        # The claim is committed: whatever went wrong is written on the message before the
        # job ends, so nothing stays "sending" unseen. Provider failures are retried; a message
        # that cannot be sent as it is (no address) fails at once; an unexpected error fails
        # the message and the job, for a person to look at.
        db.session.rollback()
        message = db.session.get(Message, message_id)
        intervals = _retry_intervals()
        retryable = isinstance(exc, mail.MailFailed | SmsFailed)
        final = not retryable or message.attempts > len(intervals)
        retry_in = intervals[min(message.attempts - 1, len(intervals) - 1)] if intervals else 0
        error = str(exc) if isinstance(exc, AgencyError) else f"{type(exc).__name__}: {exc}"
        operations.record_failure(message, error, now=moment, final=final, retry_in=retry_in)
        db.session.commit()
        if isinstance(exc, operations.DunningError):
            return "failed"
        raise  # the job backend retries, or keeps the job as failed after the last attempt
    operations.mark_sent(
        prepared.message,
        provider_id=provider_id,
        recipient=prepared.recipient,
        content=prepared.content,
        now=moment,
    )
    db.session.commit()
    return "sent"
