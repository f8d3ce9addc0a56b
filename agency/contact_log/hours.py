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

from agency.letters.schedule import nl_holiday
from agency.modeling import AGENCY_TZ


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
        return "a day designated by the government"
    if not nl_holiday(day):
        return None
    if (day.month, day.day) == (5, 5):
        return "Liberation Day"
    return holidays.country_holidays("NL", years=day.year).get(day, "an official holiday")


def contact_refusal(
    country: str, timezone: str, moment: datetime, extra_days: Iterable[date] = ()
) -> str | None:
    """Return why the debtor may not be called or texted at `moment` (aware), or None when they
    may be."""
    rules = RULES.get(country, RULES["NL"])
    try:
        zone = ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        zone = AGENCY_TZ
    local = moment.astimezone(zone)
    when = f"{local:%H:%M} on {local:%A %d-%m-%Y} in {zone.key}"
    if not rules.sundays_and_holidays:
        if local.weekday() == 6:
            return f"it is Sunday ({when}); no contact on Sundays"
        name = _holiday_name(local.date(), extra_days)
        if name:
            return f"it is {name} ({when}); no contact on official holidays"
    if not rules.opens <= local.time() < rules.closes:
        return (
            f"it is {when}; contact is allowed from {rules.opens:%H:%M} until {rules.closes:%H:%M}"
        )
    return None


def next_contact_moment(
    moment: datetime, country: str, timezone: str, extra_days: Iterable[date] = ()
) -> datetime:
    """Return `moment` if the debtor may be contacted then, else the first moment after it."""
    extra_days = tuple(extra_days)
    if contact_refusal(country, timezone, moment, extra_days) is None:
        return moment
    rules = RULES.get(country, RULES["NL"])
    try:
        zone = ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        zone = AGENCY_TZ
    local = moment.astimezone(zone)
    day = local.date() if local.time() < rules.opens else local.date() + timedelta(days=1)
    while True:
        opening = datetime.combine(day, rules.opens, tzinfo=zone)
        if contact_refusal(country, timezone, opening, extra_days) is None:
            return opening.astimezone(moment.tzinfo)
        day += timedelta(days=1)
