"""Which outside services are live, and recording what a sandboxed one would have done."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import Flask

from agency.extensions import db
from agency.sandbox.models import SandboxRecord

# A service is live when all of its settings are present; otherwise it runs as a sandbox.
SERVICE_SETTINGS: dict[str, tuple[str, ...]] = {
    "mail": ("MAIL_SERVER",),
    "twilio": ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "TWILIO_FROM"),
    "mollie": ("MOLLIE_API_KEY",),
    "stripe": ("STRIPE_SECRET_KEY", "STRIPE_WEBHOOK_SECRET"),
}


@dataclass(frozen=True)
class ServiceMode:
    service: str
    live: bool
    missing: tuple[str, ...]


def service_modes(app: Flask) -> list[ServiceMode]:
    """Tell for every outside service whether it is live or sandboxed, and what is missing."""
    modes = []
    for service, keys in SERVICE_SETTINGS.items():
        missing = tuple(k for k in keys if not app.config.get(k))
        modes.append(ServiceMode(service, not missing, missing))
    return modes


def is_live(app: Flask, service: str) -> bool:
    """Return True when `service` has all its settings."""
    return all(app.config.get(k) for k in SERVICE_SETTINGS[service])


def record(
    service: str,
    action: str,
    summary: str,
    *,
    recipient: str | None = None,
    amount_cents: int | None = None,
    client_id: int | None = None,
    case_id: int | None = None,
    **payload: Any,
) -> SandboxRecord:
    """Keep what a sandboxed service would have sent or charged, for the back office to show."""
    row = SandboxRecord(
        service=service,
        action=action,
        summary=summary,
        recipient=recipient,
        amount_cents=amount_cents,
        client_id=client_id,
        case_id=case_id,
        payload=payload,
    )
    db.session.add(row)
    db.session.flush()
    return row
