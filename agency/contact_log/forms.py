"""Forms of the case page: log a contact (with its promise or new payment term), agree a payment
plan, record a dispute."""

from __future__ import annotations

from flask_babel import get_locale
from flask_wtf.file import MultipleFileField
from wtforms import (
    DateField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
    ValidationError,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from agency.cases.forms import choices
from agency.contact_log.labels import CHANNEL_LABELS, DISPUTE_REASON_LABELS, OUTCOME_LABELS
from agency.contact_log.models import SYSTEM_OUTCOMES, Channel, DisputeReason, Outcome
from agency.forms import AppForm
from agency.i18n import lazy_gettext as _l
from agency.money import AmountError, parse_eur

LOGGED_CHANNELS = [c for c in Channel if c is not Channel.PORTAL]
LOGGED_OUTCOMES = [o for o in Outcome if o not in SYSTEM_OUTCOMES]


def _int_or_none(value) -> int | None:
    return None if value in (None, "", "None") else int(value)


def _locale() -> str:
    return str(get_locale() or "nl")


class AmountField(StringField):
    """Euros as people type them ("1.234,56", "€ 50"); `.cents` holds the parsed value."""

    cents: int | None = None

    def pre_validate(self, form) -> None:
        self.cents = None
        text = (self.data or "").strip()
        if text:
            try:
                self.cents = parse_eur(text, _locale())
            except AmountError as error:
                raise ValidationError(_l("Enter an amount such as 1.234,56.")) from error
            if self.cents <= 0:
                raise ValidationError(_l("Enter an amount above zero."))


class ContactForm(AppForm):
    channel = SelectField(
        _l("Channel"), choices=choices((c.value, CHANNEL_LABELS[c]) for c in LOGGED_CHANNELS)
    )
    outcome = SelectField(
        _l("Outcome"), choices=choices((o.value, OUTCOME_LABELS[o]) for o in LOGGED_OUTCOMES)
    )
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=4000)])
    duration_minutes = IntegerField(
        _l("Duration (minutes)"), validators=[Optional(), NumberRange(min=0, max=600)]
    )
    next_action_on = DateField(
        _l("Next action on"), validators=[InputRequired(_l("Set the date of the next action."))]
    )
    promise_amount = AmountField(_l("Promised amount"))
    promise_on = DateField(_l("Promised date"), validators=[Optional()])
    term_old_days = IntegerField(
        _l("Old payment term (days)"), validators=[Optional(), NumberRange(min=1, max=365)]
    )
    term_new_days = IntegerField(
        _l("New payment term (days)"), validators=[Optional(), NumberRange(min=1, max=365)]
    )
    corrects = SelectField(
        _l("Corrects an earlier entry"), coerce=_int_or_none, validate_choice=False
    )

    def validate(self, extra_validators=None) -> bool:
        if not super().validate(extra_validators):
            return False
        ok = True
        if self.outcome.data == Outcome.PROMISE.value:
            if self.promise_amount.cents is None:
                self.promise_amount.errors.append(_l("A promise needs an amount."))
                ok = False
            if self.promise_on.data is None:
                self.promise_on.errors.append(_l("A promise needs a date."))
                ok = False
        if self.outcome.data == Outcome.PAYMENT_TERM.value:
            old, new = self.term_old_days.data, self.term_new_days.data
            if old is None or new is None:
                self.term_new_days.errors.append(_l("Give the old and the new term."))
                ok = False
            elif new >= old:
                self.term_new_days.errors.append(_l("The new term must be shorter."))
                ok = False
        return ok


class ArrangementForm(AppForm):
    total = AmountField(_l("Amount of the plan"), validators=[DataRequired()])
    instalments = IntegerField(
        _l("Number of instalments"), validators=[InputRequired(), NumberRange(min=1, max=60)]
    )
    first_due_on = DateField(_l("First instalment on"), validators=[InputRequired()])


class DisputeForm(AppForm):
    invoice = SelectField(_l("Invoice"), coerce=int, validate_choice=True)
    reason = SelectField(
        _l("Reason"), choices=choices((r.value, DISPUTE_REASON_LABELS[r]) for r in DisputeReason)
    )
    amount = AmountField(_l("Disputed amount (empty: the whole open part)"))
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=4000)])
    files = MultipleFileField(_l("Documents (PDF, PNG or JPEG, at most 5 MB each)"))


class ResolveDisputeForm(AppForm):
    decision = SelectField(
        _l("Decision"),
        choices=choices(
            [
                ("upheld", _l("Upheld: credit the disputed amount")),
                ("rejected", _l("Rejected: collection resumes")),
            ]
        ),
    )
    note = TextAreaField(_l("Note for the agency"), validators=[Optional(), Length(max=4000)])


class PlainForm(AppForm):
    """No fields: the form exists for its CSRF token (approve, decline)."""


class SmsForm(AppForm):
    body = TextAreaField(_l("Text message"), validators=[DataRequired(), Length(max=320)])
