"""Click-to-call through Twilio: Twilio rings the agent's line first and then connects the
debtor, showing the agency's number. Without Twilio settings: sandbox mode (recorded only)."""

from __future__ import annotations

from xml.sax.saxutils import escape

from flask import current_app

from agency.contact_log.sms import twilio_client
from agency.sandbox.operations import is_live, record


def place_call(debtor_phone: str, agent_line: str, *, client_id: int, case_id: int) -> str:
    """Start a call between the agent's line and the debtor; return the provider's call id."""
    if not is_live(current_app, "twilio"):
        row = record(
            "twilio",
            "call",
            f"call {debtor_phone} for {agent_line}",
            recipient=debtor_phone,
            client_id=client_id,
            case_id=case_id,
        )
        return f"sandbox-call-{row.id}"
    caller_id = current_app.config["TWILIO_FROM"]
    twiml = (
        f'<Response><Dial callerId="{escape(caller_id)}">'
        f"<Number>{escape(debtor_phone)}</Number></Dial></Response>"
    )
    call = twilio_client().calls.create(to=agent_line, from_=caller_id, twiml=twiml)
    return call.sid
