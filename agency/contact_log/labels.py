"""How the workbench's codes read on a page, in the page's language."""

from agency.contact_log.models import (
    ArrangementStatus,
    Channel,
    DisputeReason,
    DisputeStatus,
    InstalmentStatus,
    Outcome,
    PromiseStatus,
)
from agency.i18n import lazy_gettext as _l
from agency.letters.forms import CHANNEL_LABELS as MESSAGE_CHANNEL_LABELS
from agency.letters.forms import DELIVERY_STATUS_LABELS, MESSAGE_STATUS_LABELS

CHANNEL_LABELS = {
    Channel.CALL_OUT: _l("Call (outgoing)"),
    Channel.CALL_IN: _l("Call (incoming)"),
    Channel.SMS_OUT: _l("SMS (sent)"),
    Channel.SMS_IN: _l("SMS (received)"),
    Channel.EMAIL_OUT: _l("E-mail (sent)"),
    Channel.EMAIL_IN: _l("E-mail (received)"),
    Channel.LETTER: _l("Letter"),
    Channel.PORTAL: _l("Payment page"),
}
OUTCOME_LABELS = {
    Outcome.REACHED: _l("Reached"),
    Outcome.NO_ANSWER: _l("No answer"),
    Outcome.VOICEMAIL: _l("Voicemail"),
    Outcome.WRONG_NUMBER: _l("Wrong number"),
    Outcome.PROMISE: _l("Promise to pay"),
    Outcome.DISPUTE: _l("Dispute"),
    Outcome.REFUSED: _l("Refuses to pay"),
    Outcome.PAYMENT_TERM: _l("Shorter payment term agreed"),
    Outcome.CALLBACK: _l("Callback requested"),
    Outcome.SENT: _l("Sent"),
    Outcome.DIALLED: _l("Call placed"),
    Outcome.DELIVERED: _l("Delivered"),
    Outcome.UNDELIVERED: _l("Undelivered"),
    Outcome.FAILED: _l("Could not be sent"),
}
PROMISE_STATUS_LABELS = {
    PromiseStatus.OPEN: _l("open"),
    PromiseStatus.KEPT: _l("kept"),
    PromiseStatus.BROKEN: _l("broken"),
    PromiseStatus.CANCELLED: _l("cancelled"),
}
ARRANGEMENT_STATUS_LABELS = {
    ArrangementStatus.PROPOSED: _l("waiting for approval"),
    ArrangementStatus.ACTIVE: _l("running"),
    ArrangementStatus.COMPLETED: _l("completed"),
    ArrangementStatus.BROKEN: _l("broken"),
    ArrangementStatus.CANCELLED: _l("cancelled"),
}
INSTALMENT_STATUS_LABELS = {
    InstalmentStatus.OPEN: _l("open"),
    InstalmentStatus.PAID: _l("paid"),
    InstalmentStatus.MISSED: _l("missed"),
}
DISPUTE_REASON_LABELS = {
    DisputeReason.NOT_DELIVERED: _l("Not delivered"),
    DisputeReason.DEFECTIVE: _l("Defective or incomplete"),
    DisputeReason.WRONG_AMOUNT: _l("Wrong amount or price"),
    DisputeReason.ALREADY_PAID: _l("Already paid"),
    DisputeReason.NOT_ORDERED: _l("Never ordered"),
    DisputeReason.OTHER: _l("Other"),
}
DISPUTE_STATUS_LABELS = {
    DisputeStatus.OPEN: _l("waiting for the client"),
    DisputeStatus.UPHELD: _l("upheld"),
    DisputeStatus.REJECTED: _l("rejected"),
}

TEMPLATE_GLOBALS = {
    # The dunning engine's messages appear on the case's timeline too.
    "message_channel_label": MESSAGE_CHANNEL_LABELS.__getitem__,
    "message_status_label": MESSAGE_STATUS_LABELS.__getitem__,
    "delivery_status_label": DELIVERY_STATUS_LABELS.__getitem__,
    "channel_label": CHANNEL_LABELS.__getitem__,
    "outcome_label": OUTCOME_LABELS.__getitem__,
    "promise_status_label": PROMISE_STATUS_LABELS.__getitem__,
    "arrangement_status_label": ARRANGEMENT_STATUS_LABELS.__getitem__,
    "instalment_status_label": INSTALMENT_STATUS_LABELS.__getitem__,
    "dispute_reason_label": DISPUTE_REASON_LABELS.__getitem__,
    "dispute_status_label": DISPUTE_STATUS_LABELS.__getitem__,
}
