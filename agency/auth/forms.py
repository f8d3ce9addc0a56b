"""Forms of the login pages and the language switch."""

from wtforms import EmailField, HiddenField, PasswordField, StringField
from wtforms.validators import AnyOf, DataRequired, Length, Regexp

from agency.forms import AppForm
from agency.i18n import lazy_gettext as _l


class LoginForm(AppForm):
    # No format check here: the address is only looked up, and reserved test domains must work.
    email = EmailField(_l("E-mail"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired()])


class TotpForm(AppForm):
    code = StringField(
        _l("Code from your authenticator app"),
        validators=[DataRequired(), Regexp(r"^\s*\d{6}\s*$", message=_l("Enter the 6 digits."))],
    )


class TotpDisableForm(AppForm):
    password = PasswordField(_l("Password"), validators=[DataRequired()])


class LanguageForm(AppForm):
    lang = StringField(validators=[AnyOf(["nl", "en"])])
    next = HiddenField(validators=[Length(max=500)])


class LogoutForm(AppForm):
    """No fields: the form exists for its CSRF token."""
