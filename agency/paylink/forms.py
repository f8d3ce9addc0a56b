"""The debtor's forms on the payment page; every one carries a CSRF token."""

from __future__ import annotations

import phonenumbers
from flask_wtf.file import MultipleFileField
from wtforms import (
    DateField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
    TimeField,
    ValidationError,
)
from wtforms.validators import DataRequired, Email, InputRequired, Length, NumberRange, Optional

from agency.cases.forms import choices
from agency.contact_log.forms import AmountField
from agency.contact_log.models import DisputeReason
from agency.forms import AppForm
from agency.i18n import lazy_gettext as _l

LANGUAGES = (("nl", "Nederlands"), ("en", "English"), ("de", "Deutsch"), ("fr", "Français"))
REASON_LABELS = {
    DisputeReason.NOT_DELIVERED: _l("I did not receive the goods or service"),
    DisputeReason.DEFECTIVE: _l("The goods or service were faulty"),
    DisputeReason.WRONG_AMOUNT: _l("The amount is wrong"),
    DisputeReason.ALREADY_PAID: _l("I paid this invoice already"),
    DisputeReason.NOT_ORDERED: _l("I did not order this"),
    DisputeReason.OTHER: _l("Another reason"),
}


class CheckForm(AppForm):
    answer = StringField(
        _l("Your postcode or one of your invoice numbers"),
        validators=[DataRequired(), Length(max=60)],
    )


class LanguageForm(AppForm):
    lang = SelectField(_l("Language"), choices=choices(LANGUAGES))


class PayForm(AppForm):
    amount = AmountField(_l("Amount to pay (euro)"), validators=[InputRequired()])


class PromiseForm(AppForm):
    amount = AmountField(_l("Amount (euro)"), validators=[InputRequired()])
    promised_on = DateField(_l("I will pay on"), validators=[InputRequired()])


class PlanForm(AppForm):
    instalments = IntegerField(
        _l("Number of monthly instalments"),
        validators=[InputRequired(), NumberRange(min=2, max=36)],
    )
    first_due_on = DateField(_l("Date of the first instalment"), validators=[InputRequired()])


class DisputeForm(AppForm):
    invoice = SelectField(_l("Invoice"), coerce=int, validate_choice=True)
    reason = SelectField(
        _l("Reason"), choices=choices((r.value, label) for r, label in REASON_LABELS.items())
    )
    message = TextAreaField(_l("Your message"), validators=[DataRequired(), Length(max=4000)])
    files = MultipleFileField(_l("Documents (up to 5; PDF, PNG or JPEG; 5 MB each)"))


class AlreadyPaidForm(AppForm):
    amount = AmountField(_l("Amount paid (euro)"), validators=[InputRequired()])
    paid_on = DateField(_l("Paid on"), validators=[InputRequired()])
    note = TextAreaField(_l("To whom and how did you pay?"), validators=[Length(max=2000)])
    files = MultipleFileField(_l("Proof of payment (up to 5 files; PDF, PNG or JPEG; 5 MB each)"))


class CopyForm(AppForm):
    invoice = SelectField(_l("Invoice"), coerce=int, validate_choice=True)


class CallbackForm(AppForm):
    day = DateField(_l("Day"), validators=[InputRequired()])
    time = TimeField(_l("Time"), validators=[InputRequired()])
    note = TextAreaField(_l("What would you like to discuss?"), validators=[Length(max=1000)])


class ContactDetailsForm(AppForm):
    street = StringField(_l("Street and number"), validators=[Optional(), Length(max=160)])
    postcode = StringField(_l("Postcode"), validators=[Optional(), Length(max=12)])
    city = StringField(_l("City"), validators=[Optional(), Length(max=80)])
    email = StringField(_l("E-mail"), validators=[Optional(), Email(), Length(max=254)])
    phone = StringField(_l("Phone"), validators=[Optional(), Length(max=30)])
    region = "NL"  # the debtor's country, set by the view: numbers are read in it

    def validate_phone(self, field) -> None:
        """Keep phone numbers as E.164, read in the debtor's country."""
        if not field.data:
            return
        try:
            number = phonenumbers.parse(field.data, self.region)
        except phonenumbers.NumberParseException as error:
            raise ValidationError(_l("Enter a phone number such as 06 12345678.")) from error
        if not phonenumbers.is_valid_number(number):
            raise ValidationError(_l("Enter a phone number such as 06 12345678."))
        field.data = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
