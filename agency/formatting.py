"""What templates need to show values: money, dates and labels in the page's language."""

from __future__ import annotations

import functools
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from babel import Locale
from babel.dates import (
    DateTimePattern,
    format_date,
    format_datetime,
    get_date_format,
    parse_pattern,
)
from babel.numbers import format_decimal
from flask import Flask
from flask_babel import get_locale
from jinja2 import pass_context
from jinja2.runtime import Context
from markupsafe import Markup

from agency.auth.models import Role
from agency.cases.models import CaseStatus
from agency.clients.models import HandoffStatus
from agency.i18n import lazy_gettext as _l
from agency.i18n import translations
from agency.ledger.models import EntryKind, EntrySource
from agency.modeling import AGENCY_TZ
from agency.money import format_eur, round_cents

STATUS_LABELS = {
    CaseStatus.NEW: _l("New"),
    CaseStatus.DUNNING: _l("Dunning"),
    CaseStatus.PROMISED: _l("Promised"),
    CaseStatus.ARRANGEMENT: _l("Payment plan"),
    CaseStatus.DISPUTED: _l("Disputed"),
    CaseStatus.LEGAL: _l("Legal"),
    CaseStatus.PAID: _l("Paid"),
    CaseStatus.RETURNED: _l("Returned"),
    CaseStatus.WRITTEN_OFF: _l("Written off"),
}
ROLE_LABELS = {
    Role.ADMIN: _l("Administrator"),
    Role.SUPERVISOR: _l("Supervisor"),
    Role.AGENT: _l("Agent"),
    Role.CLIENT: _l("Client"),
}
ENTRY_LABELS = {
    EntryKind.PRINCIPAL: _l("Principal"),
    EntryKind.COST: _l("Collection costs"),
    EntryKind.INTEREST: _l("Interest"),
    EntryKind.PAYMENT: _l("Payment"),
    EntryKind.DIRECT_PAYMENT: _l("Paid to the client"),
    EntryKind.CREDIT_NOTE: _l("Credit note"),
    EntryKind.ADJUSTMENT: _l("Adjustment"),
    EntryKind.WRITE_OFF: _l("Write-off"),
}


HANDOFF_STATUS_LABELS = {
    HandoffStatus.UPLOADED: _l("Columns to map"),
    HandoffStatus.VALIDATING: _l("Checking"),
    HandoffStatus.VALIDATED: _l("Checked, waiting for you"),
    HandoffStatus.REJECTED: _l("Rejected"),
    HandoffStatus.DUPLICATE: _l("Already imported"),
    HandoffStatus.QUEUED: _l("Waiting to import"),
    HandoffStatus.IMPORTING: _l("Importing"),
    HandoffStatus.IMPORTED: _l("Imported"),
    HandoffStatus.FAILED: _l("Failed"),
}
SOURCE_LABELS = {
    EntrySource.HANDOFF: _l("Handoff"),
    EntrySource.DUNNING: _l("Dunning"),
    EntrySource.PAYLINK: _l("Payment page"),
    EntrySource.BANK: _l("Bank"),
    EntrySource.AGENT: _l("Agent"),
    EntrySource.CLIENT: _l("Client"),
    EntrySource.SYSTEM: _l("System"),
}


def current_locale() -> str:
    """The page's language ("nl", "en"); "nl" outside a request."""
    locale = get_locale()
    return "nl" if locale is None else _identifier(locale)


@functools.cache
def _identifier(locale: Locale) -> str:
    """The locale's name ("nl", "en"): Babel rebuilds the string on every call."""
    return str(locale)


def eur(cents: int) -> str:
    """Format cents as euros in the page's language."""
    return format_eur(cents, current_locale())


@functools.cache
def _date_pattern(locale: str) -> tuple[Locale, DateTimePattern]:
    """Babel's date pattern for the page's language, parsed once (Babel's `format_date` parses
    the locale and the pattern on every call; a queue page writes fifty dates)."""
    parsed = Locale.parse(locale)
    text = get_date_format("short", locale=parsed).pattern if locale == "en" else "dd-MM-yyyy"
    return parsed, parse_pattern(text)


def date_nl(value: date) -> str:
    """Format a date the way the page's language writes it."""
    return date_text(value, current_locale())


@functools.lru_cache(maxsize=4096)
def date_text(value: date, locale: str) -> str:
    """A date in `locale`, remembered: a page of cases shows the same few dates many times."""
    parsed, pattern = _date_pattern(locale)
    return pattern.apply(value, parsed)


def datetime_nl(value: datetime) -> str:
    """Format a UTC timestamp in the agency's time zone."""
    return format_datetime(value.astimezone(AGENCY_TZ), format="short", locale=current_locale())


def reference(value: str) -> str:
    """Group a case reference in fours, the way people read it out on the phone."""
    return " ".join(value[i : i + 4] for i in range(0, len(value), 4))


def pct(value: Decimal) -> str:
    """Format a percentage."""
    return f"{format_decimal(value, format='0.##', locale=current_locale())}%"


def minutes(seconds: int) -> str:
    """Format a duration in seconds as minutes with one decimal, in the page's language."""
    return format_decimal(Decimal(seconds) / 60, format="0.#", locale=current_locale())


def decimal1(value: Decimal) -> str:
    """Format a number with at most one decimal, in the page's language."""
    return format_decimal(value, format="#,##0.#", locale=current_locale())


def month_name(value: date) -> str:
    """A month and its year, in the page's language ("oktober 2026")."""
    return format_date(value, format="LLLL yyyy", locale=current_locale())


@pass_context
def _eur_filter(context, cents: int) -> str:
    """`eur` in a template: the page's language from the context, not looked up per amount."""
    return format_eur(cents, context.get("current_locale") or current_locale())


@pass_context
def _date_filter(context, value: date) -> str:
    """`date_nl` in a template, likewise."""
    return date_text(value, context.get("current_locale") or current_locale())


def _formatted(context: Context, text: str, variables: dict[str, Any]) -> str:
    """As Jinja's "newstyle" gettext: escaped when autoescaping, always a format string (a
    text without "%" comes out of formatting unchanged, so it skips it)."""
    if context.eval_ctx.autoescape:
        text = Markup(text)  # noqa: S704 - our own catalogue's text, as Jinja's gettext does
    return text % variables if variables or "%" in text else text


@pass_context
def _gettext(context: Context, message: str, **variables: Any) -> str:
    return _formatted(context, translations().ugettext(message), variables)


@pass_context
def _ngettext(context: Context, singular: str, plural: str, num: int, **variables: Any) -> str:
    variables.setdefault("num", num)
    text = translations().ungettext(singular, plural, num)
    return _formatted(context, text, variables)


def init_app(app: Flask) -> None:
    """Register the filters and globals on the app's templates."""
    # Flask-Babel's i18n extension stays (it parses {% trans %}); its callables are replaced.
    app.jinja_env.globals.update(_=_gettext, gettext=_gettext, ngettext=_ngettext)
    app.jinja_env.filters.update(
        eur=_eur_filter,
        date_nl=_date_filter,
        datetime_nl=datetime_nl,
        pct=pct,
        reference=reference,
        minutes=minutes,
        decimal1=decimal1,
        round_cents=round_cents,
        month_name=month_name,
    )
    app.jinja_env.globals.update(
        status_label=STATUS_LABELS.__getitem__,
        role_label=ROLE_LABELS.__getitem__,
        entry_label=ENTRY_LABELS.__getitem__,
        source_label=SOURCE_LABELS.__getitem__,
        handoff_status_label=HANDOFF_STATUS_LABELS.__getitem__,
    )
    from agency.contact_log.labels import TEMPLATE_GLOBALS
    from agency.reports.tables import aging_label, figure_label
    from agency.reports.tables import status_label as report_status_label

    app.jinja_env.globals.update(
        aging_label=aging_label, figure_label=figure_label, report_status_label=report_status_label
    )

    app.jinja_env.globals.update(TEMPLATE_GLOBALS)

    @app.context_processor
    def _labels() -> dict[str, Any]:
        # The layout's two small forms (language, log out) write their CSRF field with
        # Flask-WTF's csrf_token(); their views check them with LanguageForm and LogoutForm.
        return {"current_locale": current_locale()}
