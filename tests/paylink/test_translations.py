"""Every text of the debtor's payment page is translated into Dutch, German and French (and the
compiled catalogues carry them)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_file
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
CATALOGS = ROOT / "agency/translations"
# Where the debtor's texts live: the page's templates, forms, views and labels, and the
# amount field the forms share with the back office.
DEBTOR_SOURCES = [
    "agency/paylink/forms.py",
    "agency/paylink/views.py",
    "agency/paylink/labels.py",
    "agency/contact_log/forms.py:AmountField",
    "agency/templates/paylink/_layout.html",
    "agency/templates/paylink/gone.html",
    "agency/templates/paylink/closed.html",
    "agency/templates/paylink/check.html",
    "agency/templates/paylink/page.html",
]
KEYWORDS = {"_": None, "gettext": None, "_l": None, "lazy_gettext": None}


def debtor_msgids() -> set[str]:
    """Return the msgids the debtor's page can show."""
    ids: set[str] = set()
    for source in DEBTOR_SOURCES:
        path, _, only = source.partition(":")
        method = "jinja2" if path.endswith(".html") else "python"
        text = (ROOT / path).read_text()
        lines = None
        if only:  # one class of a shared module
            start = text.index(f"class {only}")
            end = text.find("\nclass ", start + 1)
            first = text.count("\n", 0, start) + 1
            last = text.count("\n", 0, end if end != -1 else len(text)) + 1
            lines = range(first, last + 1)
        for lineno, message, _comments, _context in extract_from_file(
            method, str(ROOT / path), keywords=KEYWORDS
        ):
            if lines is not None and lineno not in lines:
                continue
            ids.add(message if isinstance(message, str) else message[0])
    return ids


def test_the_debtor_sources_have_texts():
    ids = debtor_msgids()
    assert "Confirm it is you" in ids and "Enter an amount such as 1.234,56." in ids
    assert "Revoke payment link" not in ids  # a staff text


@pytest.mark.parametrize("language", ["nl", "de", "fr"])
def test_every_debtor_text_is_translated(language):
    with (CATALOGS / language / "LC_MESSAGES/messages.po").open("rb") as f:
        catalog = read_po(f)
    translated = {m.id: m.string for m in catalog if m.id and m.string and not m.fuzzy}
    missing = sorted(debtor_msgids() - set(translated))
    assert not missing, f"translate into {language}: {missing}"
    with (CATALOGS / language / "LC_MESSAGES/messages.mo").open("rb") as f:
        # Plural messages (lists of forms in a .mo) are no debtor texts.
        compiled = {
            m.id: m.string for m in read_mo(io.BytesIO(f.read())) if m.id and isinstance(m.id, str)
        }
    assert all(compiled.get(i) == translated[i] for i in debtor_msgids()), "make translations"
    # Placeholders survive the translation.
    for msgid in debtor_msgids():
        for name in ("%(low)s", "%(high)s", "%(min)s", "%(count)s", "%(iban)s", "%(ref)s"):
            if name in msgid:
                assert name in translated[msgid], (language, msgid)
