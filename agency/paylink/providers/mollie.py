"""Mollie through mollie-api-python: a payment per click; the webhook carries only its id, so
the payment is fetched from Mollie before anything is believed."""

from __future__ import annotations

from mollie.api.client import Client
from mollie.api.error import Error as MollieError
from mollie.api.error import NotFoundError

from agency.paylink.models import PaymentStatus
from agency.paylink.providers.base import (
    Checkout,
    CheckoutRequest,
    ProviderError,
    Report,
    WebhookRefused,
    cents_of,
    decimal_amount,
)

# Mollie's statuses; open, pending and authorized wait for the next webhook.
STATUSES = {
    "open": PaymentStatus.OPEN,
    "pending": PaymentStatus.OPEN,
    "authorized": PaymentStatus.OPEN,
    "paid": PaymentStatus.PAID,
    "failed": PaymentStatus.FAILED,
    "canceled": PaymentStatus.CANCELLED,
    "expired": PaymentStatus.EXPIRED,
}
LOCALES = {"nl": "nl_NL", "en": "en_US", "de": "de_DE", "fr": "fr_FR"}
# Connect and read timeouts in seconds: a debtor waits on the first, a webhook on both.
TIMEOUT = (3, 10)


class MollieProvider:
    name = "mollie"

    def __init__(self, api_key: str, methods: tuple[str, ...] = ("ideal",)) -> None:
        self._client = Client(timeout=TIMEOUT, retry=1)
        self._client.set_api_key(api_key)
        self._methods = list(methods)

    def create_checkout(self, request: CheckoutRequest) -> Checkout:
        """Create a Mollie payment (iDEAL among the methods) and return its checkout."""
        data = {
            "amount": {"currency": request.currency, "value": decimal_amount(request.amount_cents)},
            "description": request.description,
            "redirectUrl": request.return_url,
            "cancelUrl": request.cancel_url,
            "webhookUrl": request.webhook_url,
            "metadata": {"public_id": request.public_id},
        }
        if self._methods:
            # Mollie's selection screen offers only these (each must be active on the profile).
            data["method"] = self._methods
        if request.locale in LOCALES:
            data["locale"] = LOCALES[request.locale]
        try:
            payment = self._client.payments.create(data, idempotency_key=request.public_id)
        except MollieError as exc:
            raise ProviderError(f"Mollie refused the payment: {exc}") from exc
        if not payment.checkout_url:
            raise ProviderError(f"Mollie gave no checkout for {payment.id}")
        return Checkout(provider_payment_id=payment.id, checkout_url=payment.checkout_url)

    def fetch(self, payment_id: str) -> Report:
        """Ask Mollie for the payment a webhook named; an id Mollie does not know is refused."""
        if not payment_id.startswith("tr_") or len(payment_id) > 64:
            raise WebhookRefused(f"not a Mollie payment id: {payment_id[:64]!r}")
        try:
            payment = self._client.payments.get(payment_id)
        except NotFoundError as exc:
            raise WebhookRefused(f"Mollie does not know payment {payment_id}", 404) from exc
        except MollieError as exc:
            raise ProviderError(f"Mollie did not tell payment {payment_id}: {exc}") from exc
        status = STATUSES.get(payment.status)
        if status is None:
            raise ProviderError(f"Mollie payment {payment_id} has unknown status {payment.status}")
        metadata = payment.metadata if isinstance(payment.metadata, dict) else {}
        return Report(
            provider_payment_id=payment.id,
            status=status,
            amount_cents=cents_of(payment.amount["value"]),
            currency=payment.amount["currency"],
            public_id=metadata.get("public_id"),
        )
