"""Payments the debtor starts on the payment page, and settling what a provider reports.

`start_payment` is what the debtor's page calls: it stores a ProviderPayment and asks the
active provider for a checkout. `settle` is the one path by which every provider's news (a
Mollie fetch, a verified Stripe event, the sandbox page, or `check_payment` asking the provider
when its webhook is late) changes a payment: a paid one is
booked on the ledger once, allocated (costs, interest, principal: art. 6:44 BW), and the case
re-evaluated, so a case paid in full stops being dunned. Like every operations module: flush
and audit, never commit, never read the request.
"""

from __future__ import annotations

import enum
import secrets
from datetime import date

import sqlalchemy as sa
from flask import current_app

from agency import audit
from agency.cases.models import Case
from agency.errors import AgencyError
from agency.extensions import db
from agency.ledger.models import EntryKind, EntrySource
from agency.ledger.operations import book_reduction
from agency.ledger.queries import case_balance
from agency.modeling import today as agency_today
from agency.modeling import utcnow
from agency.paylink.models import PaymentStatus, ProviderPayment
from agency.paylink.providers import (
    CheckoutRequest,
    Report,
    WebhookRefused,
    active_provider,
    fetching_provider,
)
from agency.paylink.providers.sandbox import payment_id as sandbox_payment_id
from agency.sandbox import operations as sandbox

WEBHOOK_PATHS = {"mollie": "/webhooks/mollie", "stripe": "/webhooks/stripe"}
PROVIDER_LABELS = {"sandbox": "sandbox", "mollie": "Mollie", "stripe": "Stripe"}


class PaymentRefused(AgencyError):
    """The payment cannot be started: a closed case, or an amount outside what is owed."""


class Settled(enum.Enum):
    """What settling a report did."""

    BOOKED = "booked"  # paid: a ledger entry was booked
    CLOSED = "closed"  # failed, cancelled or expired: nothing to book
    WAITING = "waiting"  # the provider still waits for the debtor or the bank
    UNCHANGED = "unchanged"  # the payment was settled before: a replay books nothing


def start_payment(
    case: Case,
    amount_cents: int,
    *,
    return_url: str,
    cancel_url: str | None = None,
    locale: str | None = None,
) -> str:
    """Start a payment of `amount_cents` on the case; return the URL to send the debtor to.

    Raises PaymentRefused for a closed case or an amount that is not between one cent and the
    balance, and ProviderError when the provider cannot start it (the caller rolls back).
    """
    if not case.is_open:
        raise PaymentRefused("this case is closed")
    balance = case_balance(case.id).total
    if isinstance(amount_cents, bool) or not isinstance(amount_cents, int):
        raise PaymentRefused("give the amount in whole cents")
    if not 0 < amount_cents <= balance:
        raise PaymentRefused(f"the amount must be between 0.01 and {balance / 100:.2f}")
    provider = active_provider()
    payment = ProviderPayment(
        public_id=secrets.token_urlsafe(16),
        case_id=case.id,
        provider=provider.name,
        amount_cents=amount_cents,
        currency="EUR",
        status=PaymentStatus.OPEN,
    )
    db.session.add(payment)
    db.session.flush()
    base = current_app.config["PUBLIC_BASE_URL"].rstrip("/")
    checkout = provider.create_checkout(
        CheckoutRequest(
            public_id=payment.public_id,
            amount_cents=amount_cents,
            currency=payment.currency,
            description=f"{case.reference} {current_app.config['AGENCY_NAME']}"[:255],
            return_url=return_url,
            cancel_url=cancel_url or return_url,
            webhook_url=base + WEBHOOK_PATHS.get(provider.name, ""),
            locale=locale,
        )
    )
    payment.provider_payment_id = checkout.provider_payment_id
    payment.checkout_url = checkout.checkout_url
    db.session.flush()
    audit.record(
        "payment.started",
        payment,
        client_id=case.client_id,
        case_id=case.id,
        provider=provider.name,
        provider_payment_id=checkout.provider_payment_id,
        cents=amount_cents,
    )
    if provider.name == "sandbox":
        sandbox.record(
            "payments",
            "checkout",
            f"{case.reference}: checkout on the sandbox page",
            amount_cents=amount_cents,
            client_id=case.client_id,
            case_id=case.id,
            public_id=payment.public_id,
        )
    return checkout.debtor_url or checkout.checkout_url


def find_payment(provider: str, provider_payment_id: str) -> ProviderPayment | None:
    """Return the payment a provider knows by `provider_payment_id`, or None."""
    return db.session.scalars(
        sa.select(ProviderPayment).where(
            ProviderPayment.provider == provider,
            ProviderPayment.provider_payment_id == provider_payment_id,
        )
    ).one_or_none()


def settle(provider: str, report: Report, *, today: date | None = None) -> Settled:
    """Apply what the provider reports to its payment; a paid one is booked exactly once.

    The payment's row is locked, and its status moves from open only by a compare-and-set
    update, so two deliveries of the same news (a replay, or two webhooks at once) book once.
    An id we never issued, or news that contradicts the payment (another public id, amount or
    currency), raises WebhookRefused.
    """
    payment = db.session.scalars(
        sa.select(ProviderPayment)
        .where(
            ProviderPayment.provider == provider,
            ProviderPayment.provider_payment_id == report.provider_payment_id,
        )
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one_or_none()
    if payment is None:
        raise WebhookRefused(f"no {provider} payment {report.provider_payment_id}", 404)
    if report.public_id is not None and report.public_id != payment.public_id:
        raise WebhookRefused(f"{report.provider_payment_id} belongs to another payment")
    if report.status is PaymentStatus.OPEN:
        return Settled.WAITING
    # We mark a payment expired when it stays open for days (`expire_payment`); the providers'
    # own expired payments never turn paid, so a paid report on an expired one is money that
    # really came in late and is booked.
    from_status = payment.status
    late_money = from_status is PaymentStatus.EXPIRED and report.status is PaymentStatus.PAID
    if from_status is not PaymentStatus.OPEN and not late_money:
        if payment.status is not report.status:
            current_app.logger.warning(
                "%s payment %s was %s and is now reported %s; left as it was",
                provider,
                report.provider_payment_id,
                payment.status.value,
                report.status.value,
            )
        return Settled.UNCHANGED
    if report.status is PaymentStatus.PAID and (
        (report.amount_cents is not None and report.amount_cents != payment.amount_cents)
        or (report.currency is not None and report.currency != payment.currency)
    ):
        raise WebhookRefused(
            f"{report.provider_payment_id} reports {report.amount_cents} {report.currency}, "
            f"started as {payment.amount_cents} {payment.currency}"
        )
    moved = db.session.execute(
        sa.update(ProviderPayment)
        .where(ProviderPayment.id == payment.id, ProviderPayment.status == from_status)
        .values(status=report.status, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if moved.rowcount != 1:
        return Settled.UNCHANGED
    db.session.refresh(payment)
    case = db.session.scalars(
        sa.select(Case)
        .where(Case.id == payment.case_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()
    day = today or agency_today()
    if report.status is not PaymentStatus.PAID:
        audit.record(
            f"payment.{report.status.value}",
            payment,
            client_id=case.client_id,
            case_id=case.id,
            provider=provider,
            provider_payment_id=report.provider_payment_id,
        )
        return Settled.CLOSED
    # book_reduction allocates (art. 6:44 BW) and re-evaluates the case: a payment that settles
    # the balance closes it, and dunning re-reads the case under a lock before every send.
    entry = book_reduction(
        case,
        EntryKind.PAYMENT,
        payment.amount_cents,
        booked_on=day,
        source=EntrySource.PAYLINK,
        description=f"{PROVIDER_LABELS[provider]} {report.provider_payment_id}",
    )
    payment.ledger_entry_id = entry.id
    db.session.flush()
    audit.record(
        "payment.paid",
        payment,
        client_id=case.client_id,
        case_id=case.id,
        provider=provider,
        provider_payment_id=report.provider_payment_id,
        cents=payment.amount_cents,
        ledger_entry=entry.id,
    )
    return Settled.BOOKED


def check_payment(payment: ProviderPayment, *, today: date | None = None) -> Settled:
    """Ask the provider how an open payment stands and settle what it says, for when its
    webhook is late or never comes. The sandbox cannot be asked (WAITING); a provider that
    cannot be reached raises ProviderError, one that does not know the id WebhookRefused."""
    if payment.status is not PaymentStatus.OPEN:
        return Settled.UNCHANGED
    provider = fetching_provider(payment.provider)
    if provider is None or not payment.provider_payment_id:
        return Settled.WAITING
    return settle(payment.provider, provider.fetch(payment.provider_payment_id), today=today)


def expire_payment(payment: ProviderPayment) -> Settled:
    """Mark a payment that stayed open for days expired, through `settle` like any news; a
    late paid report still books it (see `settle`)."""
    if payment.status is not PaymentStatus.OPEN or not payment.provider_payment_id:
        return Settled.UNCHANGED
    return settle(
        payment.provider,
        Report(provider_payment_id=payment.provider_payment_id, status=PaymentStatus.EXPIRED),
    )


def settle_in_sandbox(payment: ProviderPayment, status: PaymentStatus) -> Settled:
    """Settle a sandbox payment the way the tester chose, through the providers' path."""
    if payment.provider != "sandbox":
        raise PaymentRefused("only a sandbox payment is settled on the sandbox page")
    outcome = settle(
        "sandbox",
        Report(
            provider_payment_id=sandbox_payment_id(payment.public_id),
            status=status,
            amount_cents=payment.amount_cents,
            currency=payment.currency,
            public_id=payment.public_id,
        ),
    )
    if outcome is not Settled.UNCHANGED:
        sandbox.record(
            "payments",
            status.value,
            f"{payment.case.reference}: the tester chose {status.value}",
            amount_cents=payment.amount_cents,
            client_id=payment.case.client_id,
            case_id=payment.case_id,
            public_id=payment.public_id,
        )
    return outcome


def record_refusal(provider: str, reason: str, *, remote_addr: str | None) -> None:
    """Keep a refused webhook call in the audit trail and the application log."""
    current_app.logger.warning("%s webhook refused from %s: %s", provider, remote_addr, reason)
    audit.record("payment.webhook_refused", provider=provider, reason=reason[:500], ip=remote_addr)
