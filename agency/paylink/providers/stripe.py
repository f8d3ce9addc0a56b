"""Stripe through its SDK: a Checkout Session per click; webhook events are believed only when
Stripe's signature over the raw body verifies with the endpoint secret."""

from __future__ import annotations

import stripe as stripe_sdk

from agency.paylink.models import PaymentStatus
from agency.paylink.providers.base import (
    Checkout,
    CheckoutRequest,
    ProviderError,
    Report,
    WebhookRefused,
)

# Seconds a signed event stays acceptable: an older one is a replay (Stripe's own default).
TOLERANCE = 300
LOCALES = {"nl": "nl", "en": "en", "de": "de", "fr": "fr"}


def _completed(session) -> PaymentStatus:
    # iDEAL may complete the session before the money is certain; then async events follow.
    return PaymentStatus.PAID if session.get("payment_status") == "paid" else PaymentStatus.OPEN


def _session_status(session) -> PaymentStatus:
    """The status of a Checkout Session as a fetch tells it."""
    if session.get("status") == "expired":
        return PaymentStatus.EXPIRED
    if session.get("status") == "complete":
        return _completed(session)
    return PaymentStatus.OPEN  # still open, or complete while an iDEAL payment is on its way


EVENTS = {
    "checkout.session.completed": _completed,
    "checkout.session.async_payment_succeeded": lambda session: PaymentStatus.PAID,
    "checkout.session.async_payment_failed": lambda session: PaymentStatus.FAILED,
    "checkout.session.expired": lambda session: PaymentStatus.EXPIRED,
}


class StripeProvider:
    name = "stripe"

    def __init__(self, secret_key: str, webhook_secret: str | None) -> None:
        self._client = stripe_sdk.StripeClient(
            secret_key,
            http_client=stripe_sdk.RequestsClient(timeout=10),
            max_network_retries=1,
        )
        self._webhook_secret = webhook_secret

    def create_checkout(self, request: CheckoutRequest) -> Checkout:
        """Create a Checkout Session for the amount (iDEAL and card) and return its URL."""
        params = {
            "mode": "payment",
            "payment_method_types": ["ideal", "card"],
            "line_items": [
                {
                    "quantity": 1,
                    "price_data": {
                        "currency": request.currency.lower(),
                        "unit_amount": request.amount_cents,
                        "product_data": {"name": request.description},
                    },
                }
            ],
            "client_reference_id": request.public_id,
            "metadata": {"public_id": request.public_id},
            "payment_intent_data": {"metadata": {"public_id": request.public_id}},
            "success_url": request.return_url,
            "cancel_url": request.cancel_url,
        }
        if request.locale in LOCALES:
            params["locale"] = LOCALES[request.locale]
        try:
            session = self._client.v1.checkout.sessions.create(
                params, {"idempotency_key": request.public_id}
            )
        except stripe_sdk.StripeError as exc:
            raise ProviderError(f"Stripe refused the checkout: {exc.user_message or exc}") from exc
        if not session.url:
            raise ProviderError(f"Stripe gave no checkout URL for {session.id}")
        return Checkout(provider_payment_id=session.id, checkout_url=session.url)

    def fetch(self, session_id: str) -> Report:
        """Ask Stripe for a Checkout Session (when its webhook is late or never came)."""
        if not session_id.startswith("cs_") or len(session_id) > 255:
            raise WebhookRefused(f"not a Stripe Checkout Session id: {session_id[:64]!r}")
        try:
            session = self._client.v1.checkout.sessions.retrieve(session_id)
        except stripe_sdk.InvalidRequestError as exc:
            if exc.http_status == 404:
                raise WebhookRefused(f"Stripe does not know session {session_id}", 404) from exc
            raise ProviderError(f"Stripe did not tell session {session_id}: {exc}") from exc
        except stripe_sdk.StripeError as exc:
            raise ProviderError(f"Stripe did not tell session {session_id}: {exc}") from exc
        return _report(session.to_dict(), _session_status(session.to_dict()))

    def read_event(self, payload: bytes, signature: str | None) -> Report | None:
        """Verify a webhook call and return what it reports; None for events we do not need.

        A missing or wrong signature, or one older than TOLERANCE seconds, is refused.
        """
        if not self._webhook_secret:
            raise WebhookRefused("no Stripe webhook secret is configured", 404)
        if not signature:
            raise WebhookRefused("no Stripe-Signature header", 400)
        try:
            event = stripe_sdk.Webhook.construct_event(
                payload, signature, self._webhook_secret, tolerance=TOLERANCE
            )
        except stripe_sdk.SignatureVerificationError as exc:
            raise WebhookRefused(f"Stripe signature refused: {exc}", 400) from exc
        except ValueError as exc:
            raise WebhookRefused(f"not a Stripe event: {exc}", 400) from exc
        event = event.to_dict()
        status_of = EVENTS.get(event.get("type"))
        if status_of is None:
            return None
        session = event["data"]["object"]
        return _report(session, status_of(session))


def _report(session: dict, status: PaymentStatus) -> Report:
    metadata = session.get("metadata") or {}
    return Report(
        provider_payment_id=session["id"],
        status=status,
        amount_cents=session.get("amount_total"),
        currency=(session.get("currency") or "").upper() or None,
        public_id=metadata.get("public_id"),
    )
