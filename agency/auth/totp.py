"""Time-based one-time passwords (RFC 6238) for staff who enable a second factor."""

from __future__ import annotations

import hmac
from datetime import UTC, datetime

import pyotp
import segno


def new_secret() -> str:
    """Return a fresh base32 secret."""
    return pyotp.random_base32()


def matching_step(secret: str, code: str, now: datetime) -> int | None:
    """Return the 30-second time step the code belongs to (one step of drift allowed), or None."""
    otp = pyotp.TOTP(secret)
    step = otp.timecode(now)
    for candidate in (step, step - 1, step + 1):
        if hmac.compare_digest(otp.generate_otp(candidate), code.strip()):
            return candidate
    return None


def verify(secret: str, code: str) -> bool:
    """Check a 6-digit code now, allowing one step of clock drift (used at enrolment)."""
    return matching_step(secret, code, datetime.now(UTC)) is not None


def provisioning_qr_svg(secret: str, email: str, issuer: str) -> str:
    """Return the otpauth:// QR code as an SVG data URI for the enrolment page."""
    uri = pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=issuer)
    return segno.make(uri, error="m").svg_data_uri(scale=4)
