"""agency.forms' input widgets write what WTForms writes."""

from __future__ import annotations

import pytest
from wtforms import BooleanField, Form, HiddenField, StringField, widgets
from wtforms.validators import DataRequired, Length, Optional

from agency.forms import CheckboxInput, HiddenInput, TextInput, attributes
from agency.i18n import lazy_gettext

ATTRIBUTE_SETS = [
    {},
    {"class_": "wide", "size": 8, "inputmode": "decimal"},
    {"data_case_id": 7, "aria_described_by": "help", "for_": "x"},
    {"title": 'He said "yes" & <left>', "readonly": True, "disabled": False},
    {"placeholder": lazy_gettext("Priority"), "value": "1.234,56"},
    {"autofocus": True, "id": "other", "name_": "n"},
]


@pytest.mark.parametrize("kwargs", ATTRIBUTE_SETS)
def test_attributes_are_wtforms_html_params(app, kwargs):
    with app.test_request_context("/", headers={"Accept-Language": "nl"}):
        assert str(attributes(**kwargs)) == str(widgets.html_params(**kwargs))


def test_a_lazy_text_with_quotes_is_written_as_wtforms_writes_it(app, monkeypatch):
    """A lazy text's __html__ is its raw text; both write its quotes as &quot;."""
    import agency.i18n

    monkeypatch.setattr(agency.i18n, "gettext", lambda text: 'Say "hi" <now>')
    text = lazy_gettext("anything")
    assert str(attributes(title=text)) == str(widgets.html_params(title=text))
    assert "&quot;hi&quot;" in str(attributes(title=text))


class Plain(Form):
    scope = HiddenField()
    amount = StringField(validators=[Optional(), Length(max=12)])
    name = StringField(validators=[DataRequired(), Length(min=2, max=40)])
    due = BooleanField()


class Quick(Form):
    scope = HiddenField(widget=HiddenInput())
    amount = StringField(validators=[Optional(), Length(max=12)], widget=TextInput())
    name = StringField(validators=[DataRequired(), Length(min=2, max=40)], widget=TextInput())
    due = BooleanField(widget=CheckboxInput())


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"scope": "mine", "amount": "1.234,56", "name": 'A & "B" <C>', "due": True},
        {"scope": "<team>", "amount": "", "name": "", "due": False},
    ],
)
@pytest.mark.parametrize("kwargs", ATTRIBUTE_SETS[:4])
def test_the_inputs_are_wtforms_own(app, data, kwargs):
    """Same HTML for every field, value, flag (required, minlength, maxlength) and attribute,
    checked or not."""
    with app.test_request_context("/"):
        plain, quick = Plain(data=data), Quick(data=data)
        for name in ("scope", "amount", "name", "due"):
            assert str(quick[name](**kwargs)) == str(plain[name](**kwargs)), name
        assert str(quick.due(checked=False)) == str(plain.due(checked=False))
        assert str(quick.scope(value="team")) == str(plain.scope(value="team"))
        written = str(quick.name())
        assert 'maxlength="40"' in written and 'minlength="2"' in written
        assert " required " in written


def test_a_checked_box_says_so(app):
    with app.test_request_context("/"):
        assert " checked " in str(Quick(data={"due": True}).due())
        assert "checked" not in str(Quick(data={"due": False}).due())
