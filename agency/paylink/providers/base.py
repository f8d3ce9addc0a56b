"""The small interface every payment provider offers, and what it tells us back.

A provider module knows its SDK and nothing of our models: it is given a `CheckoutRequest` and
answers with a `Checkout`; it turns what the provider reports into a `Report`. Settling the
report (booking, allocation, re-evaluating the case) is `agency.paylink.payments.settle`.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol

from agency.errors import AgencyError
from agency.paylink.models import PaymentStatus


class ProviderError(AgencyError):
    """The provider could not be reached or refused to start or tell a payment."""


class WebhookRefused(AgencyError):
    """A webhook call that is not the provider's: bad signature, stale, malformed, unknown id."""

    def __init__(self, reason: str, status: int = 400) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status


@dataclass(frozen=True)
class CheckoutRequest:
    """What a provider needs to start a checkout for one ProviderPayment."""

    public_id: str
    amount_cents: int
    currency: str
    description: str
    return_url: str
    cancel_url: str
    webhook_url: str
    locale: str | None = None


@dataclass(frozen=True)
class Checkout:
    """A started checkout: the provider's id for it and where to send the debtor.

    `checkout_url` is stored; `debtor_url`, when given, is where the debtor goes instead (it may
    carry what must not be stored).
    """

    provider_payment_id: str
    checkout_url: str
    debtor_url: str | None = None


@dataclass(frozen=True)
class Report:
    """The state of a payment as the provider reports it (from a fetch or a verified event)."""

    provider_payment_id: str
    status: PaymentStatus
    amount_cents: int | None = None
    currency: str | None = None
    public_id: str | None = None  # our id, where the provider echoes it back (metadata)


class Provider(Protocol):
    name: str

    def create_checkout(self, request: CheckoutRequest) -> Checkout:
        """Start a checkout at the provider."""
        ...


class Fetching(Protocol):
    """A provider that can be asked for a payment's status (Mollie and Stripe; not the
    sandbox, whose page is the only place its payments end)."""

    name: str

    def fetch(self, provider_payment_id: str) -> Report:
        """Ask the provider how the payment stands; WebhookRefused when it does not know it."""
        ...


def decimal_amount(cents: int) -> str:
    """Return cents as the provider's decimal string with two decimals: 1234 -> '12.34'."""
    return str((Decimal(cents) / 100).quantize(Decimal("0.01")))


def cents_of(value: str) -> int:
    """Return a provider's decimal amount string as cents: '12.34' -> 1234."""
    amount = Decimal(value) * 100
    if amount != amount.to_integral_value():
        raise ProviderError(f"an amount of {value} is not a whole number of cents")
    return int(amount)
