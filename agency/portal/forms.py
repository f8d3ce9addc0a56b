"""Forms of the client portal."""

from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import BooleanField, StringField
from wtforms.validators import DataRequired, Length

from agency.forms import AppForm
from agency.i18n import lazy_gettext as _l


class UploadForm(AppForm):
    file = FileField(
        _l("File (CSV or Excel)"),
        validators=[
            FileRequired(_l("Choose a file.")),
            FileAllowed(["csv", "txt", "xlsx"], _l("Upload a CSV or XLSX file.")),
        ],
    )


class ConfirmForm(AppForm):
    skip_invalid = BooleanField(_l("Import only the valid rows; leave the rows with errors out"))


class PlainForm(AppForm):
    """No fields: the form exists for its CSRF token (mapping, revoke)."""


class ApiTokenForm(AppForm):
    name = StringField(_l("Name of the token"), validators=[DataRequired(), Length(max=80)])
