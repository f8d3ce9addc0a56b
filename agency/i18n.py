"""The app's gettext: Flask-Babel's catalogues, found once per request and locale.

Flask-Babel looks up the locale, the domain and the catalogue (keyed by the locale's
identifier, rebuilt from its parts) for every text it translates: about 7 µs, and a page
translates dozens of labels, headings and statuses, most of them lazy texts that are
translated each time they are shown. `translations()` keeps the catalogue in Flask-Babel's own
per-request state, next to the locale object it belongs to: `force_locale` and `refresh` put
another locale object there (or none), and the catalogue is then looked up anew.

Import `gettext as _`, `ngettext` and `lazy_gettext as _l` from here, not from Flask-Babel;
the texts are extracted by the same names.
"""

from __future__ import annotations

from babel.support import NullTranslations, Translations
from flask import g
from flask_babel import get_translations
from flask_babel.speaklater import LazyString


def translations() -> Translations | NullTranslations:
    """The catalogue of the current locale, as Flask-Babel's `get_translations` finds it."""
    try:
        state = g._flask_babel
        locale, domain, catalogue = state.agency_translations
        if locale is state.babel_locale and domain is state.babel_domain:
            return catalogue
    except AttributeError:  # the first text of the request, or after `refresh`
        pass
    except RuntimeError:  # no application context: Flask-Babel's own answer (no catalogue)
        return get_translations()
    catalogue = get_translations()
    state = getattr(g, "_flask_babel", None)
    if state is not None and getattr(state, "babel_locale", None) is not None:
        state.agency_translations = (state.babel_locale, state.babel_domain, catalogue)
    return catalogue


def gettext(string: str, **variables) -> str:
    """Flask-Babel's `gettext`: the translation of `string`, formatted with `variables`."""
    text = translations().ugettext(string)
    return text % variables if variables else text


def ngettext(singular: str, plural: str, num: int, **variables) -> str:
    """Flask-Babel's `ngettext`: the singular or a plural, formatted with `num` and
    `variables`."""
    variables.setdefault("num", num)
    return translations().ungettext(singular, plural, num) % variables


def lazy_gettext(string: str, **variables) -> LazyString:
    """Flask-Babel's `lazy_gettext`: a text translated each time it is used."""
    return LazyString(gettext, string, **variables)
