"""Job functions about payments started on the payment page. They take no objects, commit their
own work and may run twice."""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from agency.extensions import db
from agency.modeling import utcnow
from agency.paylink.models import PaymentStatus, ProviderPayment
from agency.paylink.payments import Settled, check_payment, expire_payment
from agency.paylink.providers import ProviderError, WebhookRefused

# A payment is asked about once its webhook is this late: checkouts mostly end within minutes.
CHECK_AFTER = timedelta(minutes=10)
# Still open after this long, it is abandoned: asked one last time, then marked expired. Mollie's
# iDEAL and card payments and Stripe's Checkout Sessions (24 hours at most) end well before.
ABANDONED_AFTER = timedelta(days=3)
BATCH = 500


def check_open_payments(now: str | None = None) -> dict[str, int]:
    """Ask the providers about open payments whose webhook is late (older than CHECK_AFTER)
    and settle what they say; mark those open longer than ABANDONED_AFTER expired.

    Each payment is committed on its own, so one the provider cannot tell about now does not
    undo the others; it is asked again at the next run, and the job fails at the end so the
    failure shows in RQ. Returns counts per outcome.
    """
    moment = datetime.fromisoformat(now) if now else utcnow()
    ids = db.session.scalars(
        sa.select(ProviderPayment.id)
        .where(
            ProviderPayment.status == PaymentStatus.OPEN,
            ProviderPayment.created_at <= moment - CHECK_AFTER,
        )
        .order_by(ProviderPayment.created_at, ProviderPayment.id)
        .limit(BATCH)
    ).all()
    counts: dict[str, int] = {}
    unreachable: list[str] = []
    for payment_id in ids:
        payment = db.session.get(ProviderPayment, payment_id)
        abandoned = payment.created_at <= moment - ABANDONED_AFTER
        try:
            outcome = check_payment(payment)
        except WebhookRefused as exc:  # the provider does not know it (any more)
            db.session.rollback()
            current_app.logger.warning("payment %s: %s", payment_id, exc.reason)
            outcome = Settled.WAITING
            abandoned = True
        except ProviderError as exc:
            db.session.rollback()
            unreachable.append(f"{payment_id}: {exc}")
            continue
        if outcome is Settled.WAITING and abandoned:
            payment = db.session.get(ProviderPayment, payment_id)
            key = "expired" if expire_payment(payment) is Settled.CLOSED else "unchanged"
        else:
            key = outcome.value
        db.session.commit()
        counts[key] = counts.get(key, 0) + 1
    if unreachable:
        raise ProviderError(
            f"{len(unreachable)} payment(s) could not be asked about: " + "; ".join(unreachable)
        )
    return counts
