"""Forms of client money: statement upload, matching and splitting credits, returning them,
remittance runs on demand, and the portal's report of a direct payment."""

from __future__ import annotations

from flask_wtf.file import FileField, FileRequired
from wtforms import DateField, FieldList, FormField, SelectField, StringField
from wtforms.form import Form
from wtforms.validators import DataRequired, Length, Optional

from agency.contact_log.forms import AmountField
from agency.forms import AppForm
from agency.i18n import lazy_gettext as _l


class StatementUploadForm(AppForm):
    statement = FileField(_l("Statement file (CAMT.053 or MT940)"), validators=[FileRequired()])


class MatchPartForm(Form):
    reference = StringField(_l("Case reference"), validators=[Optional(), Length(max=40)])
    amount = AmountField(_l("Amount"), validators=[Optional()])


class MatchForm(AppForm):
    """One or more cases and the part of the credit each gets (one row: the whole credit)."""

    parts = FieldList(FormField(MatchPartForm), min_entries=3, max_entries=3)


class ReturnForm(AppForm):
    reason = StringField(_l("Reason"), validators=[DataRequired(), Length(max=200)])


class RunForm(AppForm):
    cutoff = DateField(_l("Payments booked up to"), validators=[DataRequired()])
    execution = DateField(_l("Pay on"), validators=[DataRequired()])
    client = SelectField(_l("Clients"), coerce=int, default=0)

    def set_clients(self, clients) -> None:
        self.client.choices = [(0, _l("All clients"))] + [(c.id, c.name) for c in clients]


class DirectPaymentForm(AppForm):
    amount = AmountField(_l("Amount the debtor paid you"), validators=[DataRequired()])
    paid_on = DateField(_l("Paid on"), validators=[DataRequired()])
    note = StringField(_l("Note"), validators=[Optional(), Length(max=200)])
