"""The legal calendar, with dates worked out by hand from DESIGN.md's rules."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from agency.cases.charges import wik_costs
from agency.contact_log.hours import contact_refusal, next_contact_moment
from agency.letters import schedule


def test_a_letter_posted_on_a_friday_before_kings_day():
    # Friday 25 April 2025; Saturday 26 April is King's Day (27 April fell on a Sunday).
    # Not counted: Sat 26 (holiday), Sun 27, Mon 28. Counted: Tue 29 (1), Wed 30 (2).
    posted = date(2025, 4, 25)
    assert posted.weekday() == 4
    received, last_day, costs_from = schedule.nl_costs_from(posted)
    assert received == date(2025, 4, 30)
    # 14 days from the day after receipt: 1 May is day 1, 14 May day 14 (a Wednesday).
    assert last_day == date(2025, 5, 14)
    assert costs_from == date(2025, 5, 15)


def test_an_ordinary_friday_skips_sunday_and_monday():
    # Fri 19 Dec 2025: Sat 20 (1), Sun and Mon not counted, Tue 23 (2).
    assert schedule.receipt_of_posted_letter(date(2025, 12, 19)) == date(2025, 12, 23)


def test_liberation_day_counts_every_year_not_only_in_lustrum_years():
    # Fri 1 May 2026: Sat 2 (1); Sun 3, Mon 4 and Tue 5 May (a holiday by the Algemene
    # termijnenwet every year, though the holidays package keeps it only every fifth year)
    # not counted; Wed 6 (2).
    assert schedule.receipt_of_posted_letter(date(2026, 5, 1)) == date(2026, 5, 6)


def test_a_term_ending_on_a_saturday_runs_to_the_next_working_day():
    # Thu 6 March 2025: Fri 7 (1), Sat 8 (2) = receipt; +14 = Sat 22 March -> Mon 24 March.
    received, last_day, costs_from = schedule.nl_costs_from(date(2025, 3, 6))
    assert received == date(2025, 3, 8)
    assert last_day == date(2025, 3, 24)
    assert costs_from == date(2025, 3, 25)


def test_designated_days_are_skipped_like_holidays():
    # A designated Tuesday 8 April 2025: Mon 7 posted -> Tue 8 skipped, Wed 9 (1), Thu 10 (2).
    assert schedule.receipt_of_posted_letter(date(2025, 4, 7)) == date(2025, 4, 9)
    designated = [date(2025, 4, 8)]
    assert schedule.receipt_of_posted_letter(date(2025, 4, 7), designated) == date(2025, 4, 10)


def test_wik_costs_are_computed_over_all_claims_in_the_letter_together():
    # EUR 2,000 and EUR 1,000 in one letter: EUR 3,000 -> 15% of 2,500 + 10% of 500 = EUR 425,
    # not EUR 300 + EUR 150 = EUR 450 separately.
    assert wik_costs(2_000_00 + 1_000_00) == 425_00
    assert wik_costs(2_000_00) + wik_costs(1_000_00) == 450_00
    assert wik_costs(3_000_00, vat=True) == 514_25


@pytest.mark.parametrize(
    ("principal", "damages"),
    [
        (100_00, 20_00),  # up to EUR 150: EUR 20
        (150_00, 20_00),
        (300_00, 45_00),  # EUR 30 + 10% of 150
        (500_00, 65_00),  # EUR 30 + 10% of 350
        (1_000_00, 90_00),  # EUR 65 + 5% of 500
        (100_000_00, 2_000_00),  # capped
    ],
)
def test_belgian_damages_follow_book_xix(principal, damages):
    assert schedule.be_damages(principal) == damages


def test_the_belgian_term_starts_on_the_third_working_day_after_a_paper_reminder():
    # Thu 14 Aug 2025; Fri 15 Aug is Assumption Day (BE). Mon 18 (1), Tue 19 (2), Wed 20 (3):
    # days 1..14 are 20 Aug .. 2 Sep; damages from 3 Sep.
    assert schedule.be_term(date(2025, 8, 14), by_post=True) == (
        date(2025, 9, 2),
        date(2025, 9, 3),
    )
    # By e-mail the second working day: Tue 19 Aug .. Mon 1 Sep.
    assert schedule.be_term(date(2025, 8, 14), by_post=False) == (
        date(2025, 9, 1),
        date(2025, 9, 2),
    )


AMS = "Europe/Amsterdam"


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_dutch_legal_hours():
    # Summer time: 17:59 UTC is 19:59 in Amsterdam, allowed; 18:00 UTC is 20:00, not.
    assert contact_refusal("NL", AMS, utc(2025, 6, 10, 17, 59)) is None
    assert contact_refusal("NL", AMS, utc(2025, 6, 10, 18, 0)) is not None
    assert contact_refusal("NL", AMS, utc(2025, 6, 10, 5, 0)) is None  # 07:00
    assert contact_refusal("NL", AMS, utc(2025, 6, 10, 4, 59)) is not None
    assert contact_refusal("NL", AMS, utc(2025, 6, 15, 10, 0)) is not None  # a Sunday
    assert contact_refusal("NL", AMS, utc(2025, 4, 26, 10, 0)) is not None  # King's Day


def test_belgian_legal_hours_in_the_debtors_time_zone():
    brussels = "Europe/Brussels"
    assert contact_refusal("BE", brussels, utc(2025, 6, 10, 19, 30)) is None  # 21:30
    assert contact_refusal("BE", brussels, utc(2025, 6, 10, 20, 0)) is not None  # 22:00
    assert contact_refusal("BE", brussels, utc(2025, 6, 10, 5, 30)) is not None  # 07:30


def test_the_next_allowed_moment_skips_the_night_sunday_and_holidays():
    # Saturday 20:30 in Amsterdam -> Monday 07:00 (Sunday is closed).
    assert next_contact_moment(utc(2025, 6, 14, 18, 30), "NL", AMS) == utc(2025, 6, 16, 5, 0)
    # Thursday 17 April 2025 at 21:00 -> Good Friday closed -> Saturday 19 April 07:00.
    assert next_contact_moment(utc(2025, 4, 17, 19, 0), "NL", AMS) == utc(2025, 4, 19, 5, 0)
    allowed = utc(2025, 6, 10, 12, 0)
    assert next_contact_moment(allowed, "NL", AMS) == allowed


def test_the_posting_day_is_the_next_print_batch_that_goes_out():
    # Before the 15:00 cut-off on a working day: that day.
    assert schedule.posting_day(utc(2025, 3, 20, 10, 0)) == date(2025, 3, 20)
    # After it (16:30 in Amsterdam): the next working day.
    assert schedule.posting_day(utc(2025, 3, 20, 15, 30)) == date(2025, 3, 21)
    # Friday 25 April 2025 at 16:00: Saturday is King's Day, then Sunday: Monday 28 April.
    assert schedule.posting_day(utc(2025, 4, 25, 14, 0)) == date(2025, 4, 28)
    # A Saturday morning: Monday.
    assert schedule.posting_day(utc(2025, 4, 5, 8, 0)) == date(2025, 4, 7)
