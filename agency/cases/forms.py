"""What the case lists accept from the query string."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass

import phonenumbers
from flask import abort, request
from flask_babel import get_locale
from markupsafe import Markup, escape
from wtforms import (
    BooleanField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    ValidationError,
)
from wtforms.fields.choices import Choice, SelectChoice
from wtforms.validators import DataRequired, Email, Length, NumberRange, Optional
from wtforms.widgets import Select

from agency.cases.models import CaseStatus
from agency.cases.operations import EDITABLE_DEBTOR_FIELDS
from agency.forms import AppForm, CheckboxInput, HiddenInput, TextInput, attributes
from agency.i18n import lazy_gettext as _l
from agency.money import AmountError, parse_eur


def choices(pairs) -> list[SelectChoice]:
    """Turn (value, label) pairs into the choices of a select field."""
    return [SelectChoice(str(value), label) for value, label in pairs]


class ListSelect(Select):
    """WTForms' select widget, writing each plain option with one format string.

    The queue's filters list every client on every page load; WTForms copies each choice twice
    and builds each option through its general attribute writer, which costs more than the
    rest of the page's rows. The HTML is the same (`selected` before `value`, as WTForms sorts
    them); a select with option groups, several values or options with extra attributes still
    goes through WTForms. Options with plain-text labels (client names) are remembered, as the
    same few hundred come back on every page, and a list of choices made by `kept_choices`
    is written once per selected value.
    """

    def __call__(self, field, **kwargs):
        choices = field.choices
        if self.multiple or not isinstance(choices, list):
            return super().__call__(field, **kwargs)
        options = _written_options(choices, field.coerce, field.data)
        if options is None:
            options = self._options(choices, field.coerce, field.data)
        if options is None:
            return super().__call__(field, **kwargs)
        kwargs.setdefault("id", field.id)
        for flag in self.validation_attrs:
            if flag not in kwargs and getattr(field.flags, flag, False):
                kwargs[flag] = getattr(field.flags, flag)
        return Markup(f"<select {attributes(name=field.name, **kwargs)}>{options}</select>")  # noqa: S704 - escaped parts

    @classmethod
    def _options(cls, choices: list, coerce, data) -> str | None:
        """The options written one by one; None when one of them needs WTForms."""
        if not all(type(choice) is SelectChoice and not choice.render_kw for choice in choices):
            return None
        return "".join(
            cls.render_option(Choice(choice.value, choice.label, coerce(choice.value) == data, {}))
            for choice in choices
        )

    @classmethod
    def render_option(cls, choice, **kwargs):
        if kwargs or choice.render_kw or isinstance(choice.value, bool):
            return super().render_option(choice, **kwargs)
        if type(choice.label) is str and type(choice.value) is str:
            return _plain_option(choice.value, choice.label, bool(choice.selected))
        return _option(choice.value, choice.label, choice.selected)


class KeptChoices(list):
    """Choices built once and shown on many pages (the client filter), with their options
    written per selected value (`written`, at most `KEPT_SELECTIONS` of them)."""

    def __init__(self, choices: list[SelectChoice]) -> None:
        super().__init__(choices)
        self.written: dict = {}


KEPT_SELECTIONS = 64  # per list: the client filter's writes a few hundred KB at most


def kept_choices(pairs) -> KeptChoices:
    """Like `choices`, for a list that is built once and shown on many pages (the client
    filter): `ListSelect` writes its options once per selected value. Every label must be
    plain text, as the written options are the same in every language."""
    kept = KeptChoices(choices(pairs))
    if not all(type(choice.label) is str for choice in kept):
        raise TypeError("kept choices need plain-text labels")
    return kept


def _written_options(choices: list, coerce, data) -> str | None:
    """The options of a kept list with `data` selected, written once; None for other lists."""
    if not isinstance(choices, KeptChoices):
        return None
    key = (coerce, data)
    html = choices.written.get(key)
    if html is None:
        if len(choices.written) >= KEPT_SELECTIONS:
            choices.written.clear()
        html = choices.written[key] = ListSelect._options(choices, coerce, data)
    return html


def _option(value, label, selected: bool) -> Markup:
    label = escape(label or value)
    value = escape(value)
    selected_attr = "selected " if selected else ""
    return Markup(f'<option {selected_attr}value="{value}">{label}</option>')  # noqa: S704 - escaped


@functools.lru_cache(maxsize=8192)
def _plain_option(value: str, label: str, selected: bool) -> Markup:
    return _option(value, label, selected)


def _int_or_none(value) -> int | None:
    if value in (None, "", "None"):
        return None
    return int(value)


class AmountFilterField(StringField):
    """An optional amount of euros; `.cents` holds it parsed."""

    cents: int | None = None

    def pre_validate(self, form) -> None:
        self.cents = None
        text = (self.data or "").strip()
        if text:
            try:
                self.cents = parse_eur(text, str(get_locale() or "nl"))
            except AmountError as error:
                raise ValidationError(_l("Enter an amount such as 1.234,56.")) from error


@dataclass(frozen=True)
class CaseListArgs:
    """Filters and the keyset position of a case list page."""

    status: CaseStatus | None = None
    search: str | None = None
    after_id: int | None = None
    figure: str | None = None  # a report figure whose cases to list (reports.queries)

    @classmethod
    def parse(cls, args: Mapping[str, str]) -> CaseListArgs:
        """Read `status`, `q`, `after` and `figure`; raise ValueError on a value that makes
        no sense."""
        from agency.reports.queries import DRILL_DOWNS

        status = args.get("status") or None
        after = args.get("after") or None
        figure = args.get("figure") or None
        if figure is not None and figure not in DRILL_DOWNS:
            raise ValueError(f"no such figure: {figure}")
        return cls(
            status=CaseStatus(status) if status else None,
            search=(args.get("q") or "").strip() or None,
            after_id=int(after) if after else None,
            figure=figure,
        )

    @classmethod
    def from_request(cls) -> CaseListArgs:
        """Parse the current request's query string, or answer 400."""
        try:
            return cls.parse(request.args)
        except ValueError:
            abort(400)


class QueueFilterForm(AppForm):
    """The filters of a work queue, read from the query string (a GET form: no CSRF token)."""

    class Meta:
        csrf = False

    scope = HiddenField(widget=HiddenInput())
    client = SelectField(
        _l("Client"), coerce=_int_or_none, validate_choice=False, widget=ListSelect()
    )
    status = SelectField(_l("Status"), validate_choice=False, widget=ListSelect())
    segment = SelectField(
        _l("Segment"),
        choices=choices([("", _l("All")), ("b2b", "B2B"), ("b2c", "B2C")]),
        widget=ListSelect(),
    )
    language = SelectField(
        _l("Language"),
        choices=choices(
            [("", _l("All")), ("nl", "Nederlands"), ("en", "English"), ("fr", "Français")]
        ),
        widget=ListSelect(),
    )
    min_amount = AmountFilterField(_l("Balance from"), widget=TextInput())
    max_amount = AmountFilterField(_l("Balance up to"), widget=TextInput())
    due = BooleanField(_l("Next action due"), widget=CheckboxInput())
    agent = SelectField(
        _l("Agent"), coerce=_int_or_none, validate_choice=False, widget=ListSelect()
    )


class DistributeForm(AppForm):
    agents = SelectMultipleField(_l("Agents"), coerce=int, validators=[DataRequired()])
    method = RadioField(
        _l("Distribute by"),
        choices=choices(
            [
                ("count", _l("Number of cases (even out the count per agent)")),
                ("balance", _l("Balance (even out the amount per agent)")),
            ]
        ),
        default="count",
    )
    client = SelectField(_l("Only cases of client"), coerce=_int_or_none, validate_choice=False)
    limit = IntegerField(
        _l("At most this many cases (empty: all)"), validators=[Optional(), NumberRange(min=1)]
    )


class AssignForm(AppForm):
    agent = SelectField(
        _l("Agent"), coerce=_int_or_none, validate_choice=False, widget=ListSelect()
    )


class ReassignForm(AssignForm):
    cases = SelectMultipleField(coerce=int, validate_choice=False, validators=[DataRequired()])
    next = HiddenField(validators=[Length(max=500)])


class DebtorForm(AppForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=160)])
    contact_name = StringField(_l("Contact person"), validators=[Optional(), Length(max=120)])
    street = StringField(_l("Street and number"), validators=[Optional(), Length(max=160)])
    postcode = StringField(_l("Postcode"), validators=[Optional(), Length(max=12)])
    city = StringField(_l("City"), validators=[Optional(), Length(max=80)])
    country = SelectField(
        _l("Country"), choices=choices([("NL", _l("Netherlands")), ("BE", _l("Belgium"))])
    )
    email = StringField(_l("E-mail"), validators=[Optional(), Email(), Length(max=254)])
    phone = StringField(_l("Phone"), validators=[Optional(), Length(max=30)])
    language = SelectField(
        _l("Language"),
        choices=choices([("nl", "Nederlands"), ("en", "English"), ("fr", "Français")]),
    )
    consent_email = BooleanField(_l("May be e-mailed"))
    consent_sms = BooleanField(_l("May receive SMS"))
    vulnerable = BooleanField(_l("Vulnerable debtor (handle with extra care)"))

    def validate_phone(self, field) -> None:
        """Store phone numbers as E.164, read in the debtor's country."""
        if not field.data:
            return
        try:
            number = phonenumbers.parse(field.data, self.country.data)
        except phonenumbers.NumberParseException as error:
            raise ValidationError(_l("Enter a phone number such as 06 12345678.")) from error
        if not phonenumbers.is_valid_number(number):
            raise ValidationError(_l("Enter a phone number such as 06 12345678."))
        field.data = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)

    def values(self) -> dict:
        return {name: self[name].data for name in EDITABLE_DEBTOR_FIELDS}
