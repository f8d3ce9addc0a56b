"""Forms of the dunning back office: policy steps, templates, branding."""

from __future__ import annotations

from flask_wtf.file import FileAllowed, FileField
from wtforms import (
    BooleanField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    DataRequired,
    Length,
    NumberRange,
    Optional,
    Regexp,
    ValidationError,
)
from wtforms.widgets import CheckboxInput, ListWidget

from agency.clients.models import Segment
from agency.forms import AppForm
from agency.i18n import lazy_gettext as _l
from agency.letters.models import (
    LANGUAGES,
    Channel,
    DeliveryStatus,
    MessageStatus,
    OffsetFrom,
    StepCosts,
    TemplateKind,
)

MESSAGE_STATUS_LABELS = {
    MessageStatus.PENDING: _l("Waiting"),
    MessageStatus.SENDING: _l("Sending"),
    MessageStatus.SENT: _l("Sent"),
    MessageStatus.FAILED: _l("Failed"),
    MessageStatus.CANCELLED: _l("Cancelled"),
}

DELIVERY_STATUS_LABELS = {
    DeliveryStatus.DELIVERED: _l("delivered"),
    DeliveryStatus.UNDELIVERED: _l("not delivered"),
    DeliveryStatus.FAILED: _l("could not be sent"),
}

CHANNEL_LABELS = {
    Channel.LETTER: _l("Letter by post"),
    Channel.EMAIL: _l("E-mail"),
    Channel.SMS: _l("SMS"),
    Channel.CLIENT_EMAIL: _l("E-mail to the client"),
}
OFFSET_LABELS = {
    OffsetFrom.DUE_DATE: _l("after the due date"),
    OffsetFrom.PREVIOUS_STEP: _l("after the previous step"),
}
COSTS_LABELS = {
    StepCosts.NONE: _l("No costs"),
    StepCosts.WIK: _l("Collection costs stated in the 14-day letter (after its term)"),
    StepCosts.B2B_MINIMUM: _l("B2B: EUR 40 per invoice (art. 6:96 lid 4 BW)"),
    StepCosts.BE_DAMAGES: _l("Belgium: damages of Book XIX (after the free reminder's term)"),
}
TEMPLATE_LABELS = {
    TemplateKind.REMINDER: _l("Reminder"),
    TemplateKind.SECOND_REMINDER: _l("Second reminder"),
    TemplateKind.FOURTEEN_DAY_LETTER: _l("14-day letter"),
    TemplateKind.SUMMONS: _l("Summons"),
    TemplateKind.LEGAL_HANDOVER: _l("Handover to legal"),
    TemplateKind.CLIENT_LEGAL_NOTICE: _l("Notice to the client: handed to legal"),
    TemplateKind.B2B_NOTICE: _l("B2B notice with EUR 40"),
    TemplateKind.BE_REMINDER: _l("Belgium: free reminder"),
    TemplateKind.BE_DAMAGES: _l("Belgium: demand with damages"),
}


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class StepForm(Form):
    """One step of a policy (inside PolicyForm, which carries the CSRF token)."""

    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=80)])
    offset_days = IntegerField(_l("Days"), validators=[NumberRange(min=0, max=365)])
    offset_from = SelectField(
        _l("Counted"), choices=[SelectChoice(o.value, label) for o, label in OFFSET_LABELS.items()]
    )
    channels = MultiCheckboxField(
        _l("Channels"),
        choices=[SelectChoice(c.value, label) for c, label in CHANNEL_LABELS.items()],
    )
    template = SelectField(
        _l("Letter"), choices=[SelectChoice(k.value, label) for k, label in TEMPLATE_LABELS.items()]
    )
    costs = SelectField(
        _l("Costs"), choices=[SelectChoice(c.value, label) for c, label in COSTS_LABELS.items()]
    )
    interest = BooleanField(_l("Book statutory interest"))
    fourteen_day_letter = BooleanField(_l("Starts the 14-day term (states the costs)"))
    hand_to_legal = BooleanField(_l("Hands the case to legal"))


class PolicyForm(AppForm):
    name = StringField(_l("Name of the policy"), validators=[DataRequired(), Length(max=120)])
    steps = FieldList(FormField(StepForm))


class NewPolicyForm(AppForm):
    client_id = SelectField(_l("Client"), coerce=int)
    segment = SelectField(
        _l("Segment"), choices=[SelectChoice(s.value, s.value.upper()) for s in Segment]
    )
    country = SelectField(_l("Debtor country"), choices=[SelectChoice("NL"), SelectChoice("BE")])


class TemplateForm(AppForm):
    subject = StringField(_l("Subject"), validators=[DataRequired(), Length(max=200)])
    body = TextAreaField(_l("Letter text"), validators=[DataRequired()])
    sms_text = TextAreaField(_l("SMS text"), validators=[DataRequired(), Length(max=320)])


class NewTemplateForm(AppForm):
    client_id = HiddenField()
    kind = HiddenField(validators=[DataRequired()])
    language = HiddenField(validators=[DataRequired()])

    def validate_language(self, field) -> None:
        if field.data not in LANGUAGES:
            raise ValidationError(_l("Unknown language."))


class BrandingForm(AppForm):
    sender_name = StringField(_l("Sender name"), validators=[Optional(), Length(max=120)])
    brand_colour = StringField(
        _l("Colour"),
        validators=[
            DataRequired(),
            Regexp(r"^#[0-9a-fA-F]{6}$", message=_l("Write a colour as #1f4e79.")),
        ],
    )
    brand_font = SelectField(
        _l("Font"), choices=[SelectChoice(f) for f in ("Helvetica", "Times", "Courier")]
    )
    logo = FileField(_l("Logo (PNG or JPEG)"), validators=[FileAllowed(["png", "jpg", "jpeg"])])


class PlainForm(AppForm):
    """No fields: the form exists for its CSRF token (retry, create)."""
