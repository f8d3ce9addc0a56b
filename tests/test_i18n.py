"""Dutch and English: every text has its Dutch translation, and the language switch works."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[1]
CATALOG = ROOT / "agency/translations/nl/LC_MESSAGES"


def _extract(tmp_path: Path) -> set[str]:
    pot = tmp_path / "messages.pot"
    subprocess.run(  # noqa: S603 - pybabel of this environment, fixed arguments
        [
            str(Path(sys.executable).with_name("pybabel")),
            "extract",
            "-F",
            "babel.cfg",
            "-k",
            "_l",
            "-k",
            "lazy_gettext",
            "-o",
            str(pot),
            ".",
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    with pot.open("rb") as f:
        return {m.id for m in read_po(f) if m.id}


def test_every_text_in_the_code_has_a_dutch_translation(tmp_path):
    with (CATALOG / "messages.po").open("rb") as f:
        catalog = read_po(f)
    translated = {m.id for m in catalog if m.id and m.string and not m.fuzzy}
    missing = _extract(tmp_path) - translated
    assert not missing, f"run `make translations` and translate: {sorted(missing)}"


def test_the_compiled_catalog_matches_its_source():
    def entries(catalog) -> dict:
        # A plural message has a tuple of ids and strings in a .po, lists in a .mo.
        def key(value):
            return tuple(value) if isinstance(value, list | tuple) else value

        return {key(m.id): key(m.string) for m in catalog if m.id}

    with (CATALOG / "messages.po").open("rb") as f:
        source = entries(read_po(f))
    with (CATALOG / "messages.mo").open("rb") as f:
        compiled = entries(read_mo(io.BytesIO(f.read())))
    assert compiled == source, "run `make translations` to compile the catalogue"


def test_pages_are_dutch_by_default_and_switch_to_english(client):
    page = client.get("/login").get_data(as_text=True)
    assert '<html lang="nl">' in page and "Inloggen" in page and "Wachtwoord" in page
    token = client.csrf_token("/login")
    response = client.post("/language", data={"lang": "en", "next": "/login", "csrf_token": token})
    assert response.status_code == 302 and response.headers["Location"] == "/login"
    page = client.get("/login").get_data(as_text=True)
    assert '<html lang="en">' in page and "Password" in page and "Wachtwoord" not in page


def test_the_browser_language_is_used_before_any_choice(client):
    page = client.get("/login", headers={"Accept-Language": "en-GB,en;q=0.8"})
    assert '<html lang="en">' in page.get_data(as_text=True)


def test_money_and_dates_follow_the_language(client, login_as, make_case, db):
    from datetime import date

    case = make_case(123_456_78, due_dates=[date(2025, 1, 15)])
    login_as("agent")
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "€\xa0123.456,78" in page and "15-01-2025" in page
    ref = case.reference
    assert f"{ref[:4]} {ref[4:8]} {ref[8:12]} {ref[12:]}" in page  # read out in fours
    assert "Overdracht" in page  # where the principal came from, in Dutch
    token = client.csrf_token("/")
    client.post("/language", data={"lang": "en", "next": "/", "csrf_token": token})
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "€123,456.78" in page and "Principal" in page


def test_wtforms_own_messages_follow_the_page_language(app):
    """WTForms' messages come from its own catalogue, read once per language and process:
    a Dutch page says them in Dutch, an English page in English, one after the other."""
    from flask_babel import refresh
    from wtforms import StringField
    from wtforms.validators import InputRequired

    from agency.forms import AppForm

    class Named(AppForm):
        class Meta:
            csrf = False

        name = StringField(validators=[InputRequired()])

    for language, message in [("nl", "Dit veld is vereist."), ("en", "This field is required.")]:
        for _ in range(2):
            with app.test_request_context("/", headers={"Accept-Language": language}):
                refresh()
                form = Named(formdata=None, data={"name": ""})
                assert not form.validate()
                assert form.name.errors == [message]


def test_template_texts_follow_the_rendering_language(app):
    """Templates find their catalogue through agency.i18n: a rendering inside force_locale
    speaks that language, the page around it its own; variables are escaped, "%%" is "%"."""
    from flask import render_template_string
    from flask_babel import force_locale

    source = (
        "{{ _('Priority') }}|{{ ngettext('%(num)s invoice', '%(num)s invoices', n) }}|"
        "{{ _('Give the selected cases to') }} {{ gettext('%(x)s', x=who) }}|"
        "{% trans %}Reference{% endtrans %}|{{ _('100%% sure') }}"
    )
    with app.test_request_context("/", headers={"Accept-Language": "nl"}):
        assert render_template_string(source, n=1, who="<b>") == (
            "Prioriteit|1 factuur|De gekozen dossiers toewijzen aan &lt;b&gt;|Kenmerk|100% sure"
        )
        with force_locale("en"):
            english = render_template_string(source, n=3, who="Ann")
        assert english == "Priority|3 invoices|Give the selected cases to Ann|Reference|100% sure"
        assert render_template_string(source, n=3, who="").startswith("Prioriteit|3 facturen|")


def test_python_texts_follow_the_locale_as_flask_babel_finds_it(app):
    """agency.i18n keeps the catalogue per request and locale: inside force_locale (nested)
    its language, after it the page's again, after a refresh the new choice; a lazy text is
    translated where it is shown; every answer is Flask-Babel's own."""
    import flask_babel
    from flask import session
    from flask_babel import force_locale, refresh

    from agency.i18n import gettext, lazy_gettext, ngettext

    def both(text):
        assert gettext(text) == flask_babel.gettext(text)
        return gettext(text)

    label = lazy_gettext("Priority")
    with app.test_request_context("/", headers={"Accept-Language": "nl"}):
        assert both("Priority") == "Prioriteit" == str(label)
        with force_locale("en"):
            assert both("Priority") == "Priority" == str(label)
            with force_locale("nl"):
                assert both("Priority") == "Prioriteit"
            assert both("Priority") == "Priority"
            assert ngettext("%(num)s invoice", "%(num)s invoices", 3) == "3 invoices"
        assert both("Priority") == "Prioriteit" == str(label)
        assert ngettext("%(num)s invoice", "%(num)s invoices", 1) == "1 factuur"
        assert gettext("%(x)s", x="<b>") == "<b>"  # formatted, not escaped: as Flask-Babel
        session["lang"] = "en"  # the language switch, then Flask-Babel's refresh
        refresh()
        assert both("Priority") == "Priority" == str(label)
    # Each request has its own application context (the fixture's is shared otherwise).
    with app.app_context(), app.test_request_context("/", headers={"Accept-Language": "en"}):
        assert both("Priority") == "Priority"
    with app.app_context(), app.test_request_context("/", headers={"Accept-Language": "nl"}):
        assert both("Priority") == "Prioriteit"


def test_python_texts_outside_an_app_context_are_the_source_texts():
    """Without an application there is no catalogue: the text as written, like Flask-Babel."""
    import flask_babel

    from agency.i18n import gettext

    assert gettext("Priority") == flask_babel.gettext("Priority") == "Priority"
