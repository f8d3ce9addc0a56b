"""When a debtor may be phoned or sent an SMS, in the debtor's own time zone.

- Netherlands (Wki, since 2024-04-01): from 07:00 up to 20:00 (19:59 allowed, 20:00 not), never
  on Sundays nor on the official holidays of art. 3 Algemene termijnenwet — New Year's Day, Good
  Friday, Easter Monday, Ascension Day, Whit Monday, King's Day, 5 May (every year), Christmas
  and Boxing Day (`letters.schedule.nl_holiday`, the same calendar as the legal terms) — nor
  on days the government designates (the `DESIGNATED_HOLIDAYS` setting: ISO dates).
- Belgium (Book XIX WER): from 08:00 up to 22:00.
- Any other country: the Dutch rules, the strictest we know.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays
from flask import has_request_context
from flask_babel import get_locale

from agency.i18n import gettext
from agency.letters.schedule import nl_holiday
from agency.modeling import AGENCY_TZ


def _(text: str, **values: str) -> str:
    """Translate for the page that asks; jobs (no request) keep the English text."""
    if has_request_context():
        return gettext(text, **values)
    return text % values


@dataclass(frozen=True)
class CallingHours:
    opens: time
    closes: time  # the first minute that is no longer allowed
    sundays_and_holidays: bool  # False: no contact on Sundays and official holidays


RULES = {
    "NL": CallingHours(time(7, 0), time(20, 0), sundays_and_holidays=False),
    "BE": CallingHours(time(8, 0), time(22, 0), sundays_and_holidays=True),
}


def _holiday_name(day: date, extra_days: Iterable[date]) -> str | None:
    if day in set(extra_days):
        return _("a day designated by the government")
    if not nl_holiday(day):
        return None
    if (day.month, day.day) == (5, 5):
        return _("Liberation Day")
    dutch = has_request_context() and str(get_locale() or "nl") == "nl"
    language = "nl" if dutch else "en_US"
    names = holidays.country_holidays("NL", years=day.year, language=language)
    return names.get(day) or _("an official holiday")


def _zone(timezone: str) -> ZoneInfo:
    try:
        return ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        return AGENCY_TZ


def contact_refusal(
    country: str, timezone: str, moment: datetime, extra_days: Iterable[date] = ()
) -> str | None:
    """Return why the debtor may not be called or texted at `moment` (aware), and when they may
    be, or None when they may be now. The text reads in the page's language."""
    extra_days = tuple(extra_days)
    reason = _reason(country, timezone, moment, extra_days)
    if reason is None:
        return None
    allowed = next_contact_moment(moment, country, timezone, extra_days)
    local = allowed.astimezone(_zone(timezone))
    return _(
        "%(reason)s. The next allowed moment is %(next)s",
        reason=reason,
        next=f"{local:%d-%m-%Y %H:%M} {_zone(timezone).key}",
    )


def _reason(
    country: str, timezone: str, moment: datetime, extra_days: tuple[date, ...]
) -> str | None:
    rules = RULES.get(country, RULES["NL"])
    zone = _zone(timezone)
    local = moment.astimezone(zone)
    when = f"{local:%d-%m-%Y %H:%M} {zone.key}"
    if not rules.sundays_and_holidays:
        if local.weekday() == 6:
            return _("it is Sunday (%(when)s); no calls or texts on Sundays", when=when)
        name = _holiday_name(local.date(), extra_days)
        if name:
            return _(
                "it is %(name)s (%(when)s); no calls or texts on official holidays",
                name=name,
                when=when,
            )
    if not rules.opens <= local.time() < rules.closes:
        return _(
            "it is %(when)s for the debtor; calls and texts are allowed from %(opens)s "
            "until %(closes)s",
            when=when,
            opens=f"{rules.opens:%H:%M}",
            closes=f"{rules.closes:%H:%M}",
        )
    return None


def next_contact_moment(
    moment: datetime, country: str, timezone: str, extra_days: Iterable[date] = ()
) -> datetime:
    """Return `moment` if the debtor may be contacted then, else the first moment after it."""
    extra_days = tuple(extra_days)
    if _reason(country, timezone, moment, extra_days) is None:
        return moment
    rules = RULES.get(country, RULES["NL"])
    zone = _zone(timezone)
    local = moment.astimezone(zone)
    day = local.date() if local.time() < rules.opens else local.date() + timedelta(days=1)
    while True:
        opening = datetime.combine(day, rules.opens, tzinfo=zone)
        if _reason(country, timezone, opening, extra_days) is None:
            return opening.astimezone(moment.tzinfo)
        day += timedelta(days=1)
