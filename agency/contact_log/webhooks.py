"""Twilio's status callbacks: how a click-to-call went, and whether an SMS was delivered.

Configure nothing at Twilio: every call and message names its callback URL when it is created
(PUBLIC_BASE_URL plus the paths below). Each request must carry a valid X-Twilio-Signature over
that public URL and the POST parameters; anything else is refused with 403 and logged. No
session and no CSRF token: the signature is the authentication. A replayed report changes
nothing (see `operations.record_call_status` and `record_sms_status`).
"""

from __future__ import annotations

from flask import Blueprint, abort, current_app, request
from sqlalchemy.exc import IntegrityError

from agency.contact_log import operations, sms
from agency.extensions import csrf, db, limiter
from agency.modeling import today, utcnow

bp = Blueprint("twilio", __name__)
csrf.exempt(bp)
limiter.limit(lambda: current_app.config["TWILIO_WEBHOOK_RATE_LIMIT"])(bp)


@bp.before_request
def _require_twilio_signature() -> None:
    """Refuse a request Twilio did not sign (403), and log who tried."""
    # Twilio signs the URL it was given; behind a proxy the request's own host may differ.
    url = current_app.config["PUBLIC_BASE_URL"] + request.full_path.rstrip("?")
    signature = request.headers.get("X-Twilio-Signature")
    if not sms.signature_is_valid(url, request.form, signature):
        current_app.logger.warning(
            "Twilio webhook refused: %s signature on %s from %s",
            "bad" if signature else "no",
            request.path,
            request.remote_addr,
        )
        abort(403)


def _field(name: str, *, required: bool = True) -> str | None:
    value = (request.form.get(name) or "").strip()
    if required and not value:
        abort(400, description=f"{name} is missing")
    return value or None


def _apply(record) -> tuple[str, int]:
    """Run one report through its operation and commit; unknown ids answer 404."""
    try:
        record()
        db.session.commit()
    except operations.UnknownProviderId as error:
        db.session.rollback()
        current_app.logger.info("Twilio webhook: %s", error)
        abort(404)
    except operations.WorkError as error:
        db.session.rollback()
        abort(400, description=str(error))
    except IntegrityError:
        # The same report arrived twice at once; the first one's entry stands.
        db.session.rollback()
    return "", 204


@bp.post("/webhooks/twilio/calls/status")
def call_status():
    call_sid, status = _field("CallSid"), _field("CallStatus")
    duration = _field("CallDuration", required=False)
    if duration is not None and not duration.isdigit():
        abort(400, description="CallDuration is not a number of seconds")
    return _apply(
        lambda: operations.record_call_status(
            call_sid,
            status,
            duration_seconds=int(duration) if duration is not None else None,
            parent_call_sid=_field("ParentCallSid", required=False),
            today=today(),
        )
    )


@bp.post("/webhooks/twilio/sms/status")
def sms_status():
    message_sid = _field("MessageSid")
    status = _field("MessageStatus")
    return _apply(
        lambda: operations.record_sms_status(
            message_sid,
            status,
            error_code=_field("ErrorCode", required=False),
            today=today(),
            now=utcnow(),
        )
    )
