"""How a payment's status reads to the debtor, in the page's language."""

from agency.i18n import lazy_gettext as _l
from agency.paylink.models import PaymentStatus

PAYMENT_STATUS_LABELS = {
    PaymentStatus.OPEN: _l("Your payment is being processed."),
    PaymentStatus.PAID: _l("Thank you, your payment has been received."),
    PaymentStatus.FAILED: _l("Your payment failed. Nothing has been charged."),
    PaymentStatus.CANCELLED: _l("You cancelled the payment. Nothing has been charged."),
    PaymentStatus.EXPIRED: _l("The payment expired. Nothing has been charged."),
}
