"""Payment providers behind one small interface; each SDK lives only in its own module.

`active_provider` picks the one debtors pay through: PAYMENT_PROVIDER when its keys are set,
else Mollie or Stripe when theirs are, else the built-in sandbox. In production the sandbox is
used only when PAYMENT_PROVIDER says so: there its page would let anyone mark a debt paid.
"""

from __future__ import annotations

from flask import Flask, current_app

from agency.errors import ConfigurationError
from agency.paylink.models import PROVIDERS
from agency.paylink.providers.base import (
    Checkout,
    CheckoutRequest,
    Fetching,
    Provider,
    ProviderError,
    Report,
    WebhookRefused,
)
from agency.sandbox.operations import is_live

__all__ = [
    "Checkout",
    "CheckoutRequest",
    "Fetching",
    "Provider",
    "ProviderError",
    "Report",
    "WebhookRefused",
    "active_provider",
    "fetching_provider",
    "mollie_provider",
    "sandbox_allowed",
    "sandbox_provider",
    "stripe_provider",
]


def active_name(app: Flask | None = None) -> str:
    """Return the name of the provider new payments go through."""
    app = app or current_app
    chosen = app.config.get("PAYMENT_PROVIDER") or None
    if chosen is not None and chosen not in PROVIDERS:
        raise ConfigurationError(
            f"PAYMENT_PROVIDER must be one of {', '.join(PROVIDERS)}, not {chosen!r}"
        )
    if chosen in ("mollie", "stripe") and is_live(app, chosen):
        return chosen
    if chosen is None:
        for name in ("mollie", "stripe"):
            if is_live(app, name):
                return name
    if chosen in ("mollie", "stripe"):
        app.logger.warning("PAYMENT_PROVIDER is %s but its keys are missing: sandbox", chosen)
    return "sandbox"


def sandbox_allowed(app: Flask | None = None) -> bool:
    """Tell whether sandbox payments may be started and settled here."""
    app = app or current_app
    return app.config["AGENCY_ENV"] != "production" or app.config.get("PAYMENT_PROVIDER") == (
        "sandbox"
    )


def sandbox_provider(app: Flask | None = None):
    from agency.paylink.providers.sandbox import SandboxProvider

    app = app or current_app
    return SandboxProvider(app.config["SECRET_KEY"])


def mollie_provider(app: Flask | None = None):
    """Return the Mollie provider, or None when MOLLIE_API_KEY is not set."""
    app = app or current_app
    if not is_live(app, "mollie"):
        return None
    from agency.paylink.providers.mollie import MollieProvider

    return MollieProvider(app.config["MOLLIE_API_KEY"], app.config["MOLLIE_METHODS"])


def stripe_provider(app: Flask | None = None):
    """Return the Stripe provider, or None when its keys are not set."""
    app = app or current_app
    if not is_live(app, "stripe"):
        return None
    from agency.paylink.providers.stripe import StripeProvider

    return StripeProvider(app.config["STRIPE_SECRET_KEY"], app.config["STRIPE_WEBHOOK_SECRET"])


def fetching_provider(name: str, app: Flask | None = None) -> Fetching | None:
    """Return the provider of that name if it can be asked about its payments (configured
    Mollie or Stripe), else None."""
    if name == "mollie":
        return mollie_provider(app)
    if name == "stripe":
        return stripe_provider(app)
    return None


def active_provider(app: Flask | None = None) -> Provider:
    """Return the provider new payments go through (see the module's docstring)."""
    app = app or current_app
    name = active_name(app)
    if name == "mollie":
        return mollie_provider(app)
    if name == "stripe":
        return stripe_provider(app)
    if not sandbox_allowed(app):
        raise ProviderError("no payment provider is configured (MOLLIE_API_KEY or STRIPE_*)")
    return sandbox_provider(app)
