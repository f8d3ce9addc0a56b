"""The payment link printed on letters, e-mails and SMS, and its lifecycle.

The token is base64url(HMAC-SHA256(SECRET_KEY, "pay:<case id>:<generation>")): 256 bits that
nobody can guess without the key, and that a letter can print again at any time. Only
sha256(token) is stored (PayToken), so a copy of the database opens no payment page. Revoking
a link marks its row revoked and adds the next generation: letters print the new link, the old
one answers like an unknown one. A link expires when its case closes.
"""

from __future__ import annotations

import base64
import enum
import functools
import hashlib
import hmac
from datetime import datetime

import sqlalchemy as sa
from flask import current_app

from agency import audit
from agency.auth.models import User
from agency.cases.models import Case
from agency.extensions import db
from agency.modeling import utcnow
from agency.paylink.models import PayToken


class TokenState(enum.Enum):
    VALID = "valid"
    UNKNOWN = "unknown"
    REVOKED = "revoked"
    EXPIRED = "expired"


def token_for(case_id: int, generation: int) -> str:
    """Return the token of one generation of a case's link."""
    key = current_app.config["SECRET_KEY"].encode()
    digest = hmac.new(key, f"pay:{case_id}:{generation}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def token_hash(token: str) -> str:
    """Return the sha256 (hex) under which a token is stored."""
    return hashlib.sha256(token.encode()).hexdigest()


def _latest(case: Case) -> PayToken | None:
    return db.session.scalar(_latest_statement(), {"case_id": case.id})


@functools.cache
def _latest_statement() -> sa.Select:
    return (
        sa.select(PayToken)
        .where(PayToken.case_id == sa.bindparam("case_id"))
        .order_by(PayToken.generation.desc())
        .limit(1)
    )


def live_token(case: Case) -> PayToken | None:
    """Return the case's live (printed, not revoked) link, if a letter has printed one."""
    row = _latest(case)
    return row if row is not None and row.revoked_at is None else None


def current_token(case: Case) -> PayToken:
    """Return the case's live link, creating its next generation when there is none."""
    row = _latest(case)
    if row is None or row.revoked_at is not None:
        generation = 0 if row is None else row.generation + 1
        row = PayToken(
            case_id=case.id,
            generation=generation,
            token_hash=token_hash(token_for(case.id, generation)),
            failed_checks=0,
        )
        db.session.add(row)
        db.session.flush()
    return row


def case_token(case: Case) -> str:
    """Return the token of the case's live link."""
    return token_for(case.id, current_token(case).generation)


def payment_url(case: Case) -> str:
    """Return the absolute URL of the debtor's payment page for `case`."""
    base = current_app.config["PUBLIC_BASE_URL"].rstrip("/")
    return f"{base}/pay/{case_token(case)}"


def find_token(token: str) -> tuple[PayToken | None, TokenState]:
    """Look a token up by its hash and say whether it opens the page now."""
    if not token or len(token) > 100:
        return None, TokenState.UNKNOWN
    row = db.session.scalar(sa.select(PayToken).where(PayToken.token_hash == token_hash(token)))
    if row is None:
        return None, TokenState.UNKNOWN
    if row.revoked_at is not None:
        return row, TokenState.REVOKED
    # A closed case's link is expired, whatever happens to the case later.
    if not row.case.is_open or (row.expires_at is not None and row.expires_at <= utcnow()):
        return row, TokenState.EXPIRED
    return row, TokenState.VALID


def revoke_link(case: Case, *, actor: User | None) -> PayToken:
    """Revoke the case's live link; the next letter prints a new one. Returns the new row."""
    old = current_token(case)
    old.revoked_at = utcnow()
    db.session.flush()
    audit.record("paylink.revoked", old, actor=actor, case_id=case.id, generation=old.generation)
    return current_token(case)


def is_locked(row: PayToken, now: datetime | None = None) -> bool:
    """Say whether too many wrong answers lock the link for now."""
    now = now or utcnow()
    return row.locked_until is not None and row.locked_until > now
