"""Time-based one-time passwords (RFC 6238) for staff who enable a second factor."""

from __future__ import annotations

import pyotp
import segno


def new_secret() -> str:
    """Return a fresh base32 secret."""
    return pyotp.random_base32()


def verify(secret: str, code: str) -> bool:
    """Check a 6-digit code, allowing one step of clock drift."""
    return pyotp.TOTP(secret).verify(code.strip(), valid_window=1)


def provisioning_qr_svg(secret: str, email: str, issuer: str) -> str:
    """Return the otpauth:// QR code as an SVG data URI for the enrolment page."""
    uri = pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=issuer)
    return segno.make(uri, error="m").svg_data_uri(scale=4)
