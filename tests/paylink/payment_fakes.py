"""Fakes of the providers' HTTP side for the payment tests: realistic bodies (the shapes of
Mollie's and Stripe's API documentation) served by `responses`, and webhook events signed the
way Stripe signs them."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from typing import Any

MOLLIE_API = "https://api.mollie.com/v2"
STRIPE_API = "https://api.stripe.com/v1"
MOLLIE_KEY = "test_dHar4XY7LxsDOtmnkVtjNVWXLSlXsM"
STRIPE_KEY = "sk_test_4eC39HqLyjWDarjtT1zdp7dc"
STRIPE_WEBHOOK_SECRET = "whsec_test_0123456789abcdef"
PUBLIC_BASE_URL = "https://pay.agency.test"


def mollie_payment(
    payment_id: str,
    status: str,
    *,
    cents: int,
    public_id: str,
    redirect_url: str = f"{PUBLIC_BASE_URL}/pay/token",
) -> dict[str, Any]:
    """A payment as GET/POST /v2/payments answers it (Mollie's Payments API reference)."""
    value = f"{cents // 100}.{cents % 100:02d}"
    body: dict[str, Any] = {
        "resource": "payment",
        "id": payment_id,
        "mode": "test",
        "createdAt": "2025-03-20T13:13:37+00:00",
        "amount": {"value": value, "currency": "EUR"},
        "description": "Payment",
        "method": None,
        "metadata": {"public_id": public_id},
        "status": status,
        "isCancelable": False,
        "expiresAt": "2025-03-20T13:28:37+00:00",
        "details": None,
        "profileId": "pfl_QkEhN94Ba",
        "sequenceType": "oneoff",
        "redirectUrl": redirect_url,
        "webhookUrl": f"{PUBLIC_BASE_URL}/webhooks/mollie",
        "_links": {
            "self": {
                "href": f"{MOLLIE_API}/payments/{payment_id}",
                "type": "application/hal+json",
            },
            "dashboard": {
                "href": f"https://www.mollie.com/dashboard/org_12345678/payments/{payment_id}",
                "type": "text/html",
            },
            "documentation": {
                "href": "https://docs.mollie.com/reference/v2/payments-api/get-payment",
                "type": "text/html",
            },
        },
    }
    if status == "open":
        body["_links"]["checkout"] = {
            "href": f"https://www.mollie.com/checkout/select-method/{payment_id[3:]}",
            "type": "text/html",
        }
    if status == "paid":
        body.update(
            {
                "method": "ideal",
                "paidAt": "2025-03-20T13:20:12+00:00",
                "amountRefunded": {"value": "0.00", "currency": "EUR"},
                "amountRemaining": {"value": value, "currency": "EUR"},
                "settlementAmount": {"value": value, "currency": "EUR"},
                "details": {
                    "consumerName": "T. TEST",
                    "consumerAccount": "NL17RABO0213698412",
                    "consumerBic": "TESTNL99",
                },
            }
        )
    if status == "failed":
        body["failedAt"] = "2025-03-20T13:20:12+00:00"
    return body


MOLLIE_NOT_FOUND = {
    "status": 404,
    "title": "Not Found",
    "detail": "No payment exists with token tr_unknown00.",
    "_links": {
        "documentation": {
            "href": "https://docs.mollie.com/overview/handling-errors",
            "type": "text/html",
        }
    },
}


def stripe_session(
    session_id: str,
    *,
    cents: int,
    public_id: str,
    status: str = "open",
    payment_status: str = "unpaid",
) -> dict[str, Any]:
    """A Checkout Session as Stripe's API returns it (API reference, checkout.session)."""
    return {
        "id": session_id,
        "object": "checkout.session",
        "amount_subtotal": cents,
        "amount_total": cents,
        "cancel_url": f"{PUBLIC_BASE_URL}/pay/token",
        "client_reference_id": public_id,
        "created": 1742476417,
        "currency": "eur",
        "customer": None,
        "customer_details": None,
        "expires_at": 1742562817,
        "livemode": False,
        "locale": None,
        "metadata": {"public_id": public_id},
        "mode": "payment",
        "payment_intent": None if payment_status == "unpaid" else "pi_3MtwBwLkdIwHu7ix28a3tqPa",
        "payment_method_types": ["card", "ideal"],
        "payment_status": payment_status,
        "status": status,
        "success_url": f"{PUBLIC_BASE_URL}/pay/token",
        "url": (
            f"https://checkout.stripe.com/c/pay/{session_id}#fidkdWxOYHwnPyd1blpxYHZxWjA0"
            if status == "open"
            else None
        ),
    }


def stripe_event(event_type: str, session: dict[str, Any], *, event_id: str = "evt_1") -> str:
    """The body of a webhook delivery of `event_type` about `session`."""
    return json.dumps(
        {
            "id": event_id,
            "object": "event",
            "api_version": "2025-02-24.acacia",
            "created": 1742476500,
            "data": {"object": session},
            "livemode": False,
            "pending_webhooks": 1,
            "request": {"id": None, "idempotency_key": None},
            "type": event_type,
        }
    )


def stripe_signature(payload: str, secret: str = STRIPE_WEBHOOK_SECRET, at: int | None = None):
    """The Stripe-Signature header: t=<unix time>,v1=<HMAC-SHA256 of "t.payload" by secret>."""
    at = int(time.time()) if at is None else at
    digest = hmac.new(secret.encode(), f"{at}.{payload}".encode(), hashlib.sha256).hexdigest()
    return f"t={at},v1={digest}"
