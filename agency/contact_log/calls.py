"""Click-to-call through Twilio: Twilio rings the agent's line first and then connects the
debtor, showing the agency's number. Without Twilio settings: sandbox mode (recorded only).

Twilio reports both legs to the call-status webhook: the agent's leg (the call created here)
and the debtor's leg (the <Number> it dials, which names the agent's call as its parent). The
debtor's leg says how the contact went; the agent's leg only matters when the agent's own
phone did not answer, so the debtor was never dialled."""

from __future__ import annotations

from flask import current_app
from twilio.twiml.voice_response import VoiceResponse

from agency.contact_log.sms import status_callback_url, twilio_client
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
    callback = status_callback_url("twilio.call_status")
    twiml = VoiceResponse()
    twiml.dial(caller_id=caller_id).number(
        debtor_phone,
        status_callback=callback,
        status_callback_event="completed",
        status_callback_method="POST",
    )
    call = twilio_client().calls.create(
        to=agent_line,
        from_=caller_id,
        twiml=str(twiml),
        status_callback=callback,
        status_callback_event=["completed"],
        status_callback_method="POST",
    )
    return call.sid
