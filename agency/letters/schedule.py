"""The legal calendar of dunning: receipt of a posted letter, the 14-day terms, damages.

The hours in which a debtor may be contacted are in `agency.contact_log.hours`.

Pure functions over dates; the official holidays come from the `holidays` package, completed
to the list of art. 3 Algemene termijnenwet, plus days the government designates (data: the
setting DESIGNATED_HOLIDAYS).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

from agency.money import from_cents, to_cents

TERM_DAYS = 14
SUNDAY, MONDAY, SATURDAY = 6, 0, 5


@lru_cache(maxsize=64)
def _nl_official(year: int) -> frozenset[date]:
    """The official holidays of art. 3 Algemene termijnenwet in `year`.

    The `holidays` package keeps 5 May only in lustrum years (the collective agreements' day
    off), but the Algemene termijnenwet counts it every year.
    """
    days = set(holidays.NL(years=year))
    days.add(date(year, 5, 5))
    return frozenset(days)


def nl_holiday(day: date, designated: Iterable[date] = ()) -> bool:
    """Tell whether `day` is an official Dutch holiday (or a designated day)."""
    return day in _nl_official(day.year) or day in set(designated)


@lru_cache(maxsize=64)
def _be_official(year: int) -> frozenset[date]:
    return frozenset(holidays.BE(years=year))


def be_working_day(day: date) -> bool:
    """A Belgian working day: Monday to Friday and not a Belgian public holiday."""
    return day.weekday() < SATURDAY and day not in _be_official(day.year)


def receipt_of_posted_letter(posted_on: date, designated: Iterable[date] = ()) -> date:
    """Return the day a letter posted on `posted_on` counts as received.

    HR 25-11-2016 (ECLI:NL:HR:2016:2704), as courts apply it: the second day after posting,
    counting neither Sundays, Mondays (no post is delivered) nor official holidays.
    """
    designated = tuple(designated)
    counted = 0
    day = posted_on
    while counted < 2:
        day += timedelta(days=1)
        if day.weekday() in (SUNDAY, MONDAY) or nl_holiday(day, designated):
            continue
        counted += 1
    return day


def next_nl_working_day(day: date, designated: Iterable[date] = ()) -> date:
    """Return `day`, or the first day after it that is no Saturday, Sunday or holiday."""
    designated = tuple(designated)
    while day.weekday() >= SATURDAY or nl_holiday(day, designated):
        day += timedelta(days=1)
    return day


# Letters dispatched after this local time go into the next posting day's print batch.
POSTING_CUTOFF = time(15, 0)
AGENCY_ZONE = ZoneInfo("Europe/Amsterdam")


def posting_day(moment: datetime, designated: Iterable[date] = ()) -> date:
    """The day a letter dispatched at `moment` is posted: the print batch it goes into.

    The batch of a day is printed and posted that day, Monday to Friday except holidays; a
    letter dispatched after the cut-off, on a weekend or on a holiday waits for the next one.
    Terms are counted from this day, never from an earlier one.
    """
    local = moment.astimezone(AGENCY_ZONE)
    day = local.date() if local.time() < POSTING_CUTOFF else local.date() + timedelta(days=1)
    return next_nl_working_day(day, designated)


def fourteen_day_term(received_on: date, designated: Iterable[date] = ()) -> date:
    """Return the last day of the term of art. 6:96 lid 6 BW for a letter received that day.

    The term runs 14 days from the day after receipt. A term that would end on a Saturday,
    Sunday or official holiday is extended to the next working day (art. 1 Algemene
    termijnenwet); this can only make costs later, never too early.
    """
    return next_nl_working_day(received_on + timedelta(days=TERM_DAYS), designated)


def nl_costs_from(posted_on: date, designated: Iterable[date] = ()) -> tuple[date, date, date]:
    """Return (receipt, the term's last day, first day costs may be booked) for a posted letter."""
    designated = tuple(designated)
    received = receipt_of_posted_letter(posted_on, designated)
    last_day = fourteen_day_term(received, designated)
    return received, last_day, last_day + timedelta(days=1)


def be_term(sent_on: date, *, by_post: bool) -> tuple[date, date]:
    """Return (the term's last day, first day damages may be charged) for a Belgian reminder.

    Art. XIX.2 WER: the 14 calendar days start on the third working day after a paper reminder
    was sent, or on the second working day after an electronic one.
    """
    wanted = 3 if by_post else 2
    counted = 0
    day = sent_on
    while counted < wanted:
        day += timedelta(days=1)
        if be_working_day(day):
            counted += 1
    last_day = day + timedelta(days=TERM_DAYS - 1)
    return last_day, last_day + timedelta(days=1)


def be_damages(principal_cents: int) -> int:
    """Return the most a Belgian consumer may be charged as damages on `principal_cents`.

    Art. XIX.4 WER: EUR 20 up to EUR 150; EUR 30 + 10% above EUR 150 up to EUR 500;
    EUR 65 + 5% above EUR 500, at most EUR 2,000.
    """
    if principal_cents <= 0:
        return 0
    amount = from_cents(principal_cents)
    if amount <= 150:
        damages = Decimal(20)
    elif amount <= 500:
        damages = Decimal(30) + (amount - 150) * Decimal("0.10")
    else:
        damages = Decimal(65) + (amount - 500) * Decimal("0.05")
    return min(to_cents(damages), 2_000_00)
