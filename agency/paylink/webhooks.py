"""Where providers tell us how a payment ended: Mollie's and Stripe's webhooks, and the sandbox
page where a tester plays the provider. All three settle through `payments.settle`.

Webhooks carry no session and no CSRF token (the provider is no browser); they are believed
only after verification: Mollie's id is fetched back from Mollie, Stripe's event must carry a
valid signature. Refused calls are written to the audit trail and the application log.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, current_app, redirect, render_template, request
from wtforms import HiddenField, SubmitField

from agency.extensions import csrf, db, limiter
from agency.forms import AppForm
from agency.i18n import lazy_gettext as _l
from agency.paylink import payments
from agency.paylink.models import PaymentStatus, ProviderPayment
from agency.paylink.providers import (
    ProviderError,
    WebhookRefused,
    mollie_provider,
    sandbox_allowed,
    sandbox_provider,
    stripe_provider,
)

bp = Blueprint("webhooks", __name__)


def _webhook_rate_limit() -> str:
    return current_app.config["PAYMENT_WEBHOOK_RATE_LIMIT"]


STATUS_LABELS = {
    PaymentStatus.OPEN: _l("Open"),
    PaymentStatus.PAID: _l("Paid"),
    PaymentStatus.FAILED: _l("Failed"),
    PaymentStatus.CANCELLED: _l("Cancelled"),
    PaymentStatus.EXPIRED: _l("Expired"),
}


def _refused(provider: str, exc: WebhookRefused):
    """Undo the request's work, keep the refusal on record, and answer the caller."""
    db.session.rollback()
    payments.record_refusal(provider, exc.reason, remote_addr=request.remote_addr)
    db.session.commit()
    return {"error": "refused"}, exc.status


def _unavailable(provider: str, exc: ProviderError):
    """The provider could not be asked: answer 503 so it delivers the webhook again later."""
    db.session.rollback()
    current_app.logger.error("%s webhook not settled: %s", provider, exc)
    return {"error": "try again later"}, 503


@bp.post("/webhooks/mollie")
@csrf.exempt
@limiter.limit(_webhook_rate_limit)
def mollie():
    """Mollie posts only a payment id: fetch that payment from Mollie and settle by its status."""
    provider = mollie_provider()
    payment_id = (request.form.get("id") or "").strip()
    try:
        if provider is None:
            raise WebhookRefused("Mollie is not configured", 404)
        if not payment_id:
            raise WebhookRefused("no payment id")
        # An id we never issued is refused before Mollie is asked anything.
        if payments.find_payment("mollie", payment_id) is None:
            raise WebhookRefused(f"no mollie payment {payment_id[:64]}", 404)
        outcome = payments.settle("mollie", provider.fetch(payment_id))
    except WebhookRefused as exc:
        return _refused("mollie", exc)
    except ProviderError as exc:
        return _unavailable("mollie", exc)
    db.session.commit()
    return {"result": outcome.value}


@bp.post("/webhooks/stripe")
@csrf.exempt
@limiter.limit(_webhook_rate_limit)
def stripe():
    """Stripe posts a signed event: verify it on the raw body, then settle the session."""
    provider = stripe_provider()
    try:
        if provider is None:
            raise WebhookRefused("Stripe is not configured", 404)
        report = provider.read_event(request.get_data(), request.headers.get("Stripe-Signature"))
        if report is None:
            return {"result": "ignored"}
        outcome = payments.settle("stripe", report)
    except WebhookRefused as exc:
        return _refused("stripe", exc)
    db.session.commit()
    return {"result": outcome.value}


class SandboxCheckoutForm(AppForm):
    back = HiddenField()
    paid = SubmitField(_l("Paid"))
    failed = SubmitField(_l("Failed"))
    cancelled = SubmitField(_l("Cancelled"))

    def chosen(self) -> PaymentStatus | None:
        for status in (PaymentStatus.PAID, PaymentStatus.FAILED, PaymentStatus.CANCELLED):
            if getattr(self, status.value).data:
                return status
        return None


@bp.route("/pay/sandbox/<public_id>", methods=["GET", "POST"])
@limiter.limit(_webhook_rate_limit, methods=["POST"])
def sandbox_checkout(public_id: str):
    """The sandbox's checkout: the tester chooses paid, failed or cancelled."""
    if not sandbox_allowed() or len(public_id) > 32:
        abort(404)
    payment = db.session.scalars(
        sa.select(ProviderPayment).where(
            ProviderPayment.public_id == public_id, ProviderPayment.provider == "sandbox"
        )
    ).one_or_none()
    if payment is None:
        abort(404)
    form = SandboxCheckoutForm(back=request.args.get("back", ""))
    if form.validate_on_submit() and (status := form.chosen()) is not None:
        payments.settle_in_sandbox(payment, status)
        db.session.commit()
        back = sandbox_provider().return_url(public_id, form.back.data)
        if back:
            return redirect(back)
        db.session.refresh(payment)
    elif request.method == "POST":
        abort(400)
    return render_template(
        "paylink/sandbox_checkout.html",
        payment=payment,
        form=form,
        status_label=STATUS_LABELS[payment.status],
        is_open=payment.status is PaymentStatus.OPEN,
    )
