"""The base of every form of the app: Flask-WTF's, with WTForms' own messages read once; and
input widgets for the forms that every page load writes.

Flask-WTF reads WTForms' message catalogue ("This field is required." and the like) from disk
on every request that builds a form, and every page builds two (the language switch and the
log-out button). The catalogue is the same for a language as long as the process runs, so
`AppForm` keeps one per language.

WTForms writes an input's attributes through `Markup.format`, a string formatter in Python,
and finds the field's flags with `dir()`: some 40 µs an input. The widgets here write the same
HTML (tests hold them equal) in a few µs; the queue's filters use them, on every queue page.
"""

from __future__ import annotations

import functools

from babel import support
from flask import current_app
from flask_babel import get_locale
from flask_wtf import FlaskForm
from markupsafe import Markup, escape
from wtforms import widgets
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


def attributes(**kwargs) -> Markup:
    """WTForms' `html_params`, written with an f-string per attribute: sorted by name, a
    trailing "_" dropped and "_" written "-" in data_ and aria_ names, True written bare,
    False left out, every value escaped."""
    written = []
    for key, value in sorted(kwargs.items()):
        key = key.rstrip("_")
        if key.startswith(("data_", "aria_")):
            key = key.replace("_", "-")
        if value is True:
            written.append(key)
        elif value is not False:
            # As WTForms: a value's own __html__ (a lazy text's) may hold a raw quote.
            written.append(f'{key}="{str(escape(value)).replace(chr(34), "&quot;")}"')
    return Markup(" ".join(written))  # noqa: S704 - every value escaped above


class _WrittenInput:
    """The body of WTForms' `Input.__call__`, with `attributes` and the field's set flags
    read from the flags' own attributes instead of `dir()`."""

    input_type: str
    validation_attrs: list[str]

    def __call__(self, field, **kwargs) -> Markup:
        if getattr(field, "_datalist", None) is not None:
            return super().__call__(field, **kwargs)  # type: ignore[misc]
        kwargs.setdefault("id", field.id)
        kwargs.setdefault("type", self.input_type)
        if "value" not in kwargs:
            kwargs["value"] = field._value()
        flags = vars(field.flags)
        for name in self.validation_attrs:
            if name in flags and name not in kwargs:
                value = flags[name]
                kwargs[name] = value() if callable(value) else value
        return Markup(f"<input {attributes(name=field.name, **kwargs)}>")  # noqa: S704


class TextInput(_WrittenInput, widgets.TextInput):
    """WTForms' text input, written by `attributes`."""


class HiddenInput(_WrittenInput, widgets.HiddenInput):
    """WTForms' hidden input, written by `attributes`."""


class CheckboxInput(_WrittenInput, widgets.CheckboxInput):
    """WTForms' check box, written by `attributes`: checked as WTForms decides."""

    def __call__(self, field, **kwargs) -> Markup:
        if getattr(field, "checked", field.data):
            kwargs.setdefault("checked", True)
        return super().__call__(field, **kwargs)
