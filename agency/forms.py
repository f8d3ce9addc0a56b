"""The base of every form of the app: Flask-WTF's, with WTForms' own messages read once.

Flask-WTF reads WTForms' message catalogue ("This field is required." and the like) from disk
on every request that builds a form, and every page builds two (the language switch and the
log-out button). The catalogue is the same for a language as long as the process runs, so
`AppForm` keeps one per language.
"""

from __future__ import annotations

import functools

from babel import support
from flask import current_app
from flask_babel import get_locale
from flask_wtf import FlaskForm
from wtforms.i18n import messages_path


class AppForm(FlaskForm):
    """A Flask-WTF form (CSRF as configured) whose WTForms messages speak the page's language."""

    class Meta:
        def get_translations(self, form):
            if not current_app.config.get("WTF_I18N_ENABLED", True):
                return None
            return wtforms_messages(str(get_locale() or "en"))


@functools.cache
def wtforms_messages(locale: str) -> support.Translations:
    """WTForms' own messages in `locale` (English where WTForms has no catalogue for it)."""
    return support.Translations.load(messages_path(), [locale], domain="wtforms")
