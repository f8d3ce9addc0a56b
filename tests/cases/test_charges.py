"""WIK collection costs and statutory interest, against amounts worked out by hand."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agency.cases.charges import statutory_interest, wik_costs
from agency.cases.models import InterestKind

# Published statutory interest rates: (valid from, consumer % per year, commercial % per year).
RATE_TABLE = [
    (date(2023, 1, 1), Decimal("4"), Decimal("10.5")),
    (date(2023, 7, 1), Decimal("6"), Decimal("12")),
    (date(2024, 1, 1), Decimal("7"), Decimal("12.5")),
    (date(2024, 7, 1), Decimal("7"), Decimal("12.25")),
    (date(2025, 1, 1), Decimal("6"), Decimal("11.15")),
]
RATES = {
    "consumer": [(valid_from, consumer) for valid_from, consumer, _ in RATE_TABLE],
    "commercial": [(valid_from, commercial) for valid_from, _, commercial in RATE_TABLE],
}
# A made-up constant rate, for whole years that the published table splits in halves.
FLAT_8 = [(date(2020, 1, 1), Decimal("8"))]
FLAT_10 = [(date(2021, 1, 1), Decimal("10"))]


# WIK scale: 15% of the first 2,500.00, 10% of the next 2,500.00, 5% of the next 5,000.00,
# 1% of the next 190,000.00, 0.5% above 200,000.00; at least 40.00, at most 6,775.00.
# VAT is 21% on top of the capped amount, rounded half-up to the cent.
@pytest.mark.parametrize(
    ("principal", "without_vat", "with_vat"),
    [
        (-100, 0, 0),  # nothing owed, no costs
        (0, 0, 0),
        (1, 4_000, 4_840),  # 15% of 0.01 -> minimum 40.00; 40.00 * 1.21 = 48.40
        (100, 4_000, 4_840),  # 15% of 1.00 = 0.15 -> minimum 40.00
        (26_600, 4_000, 4_840),  # 15% of 266.00 = 39.90 -> minimum 40.00
        (26_666, 4_000, 4_840),  # 15% of 266.66 = 39.999 -> 40.00
        (26_667, 4_000, 4_840),  # 15% of 266.67 = 40.0005 -> 40.00
        # 15% of 266.70 = 40.005 -> 40.01 half-up; 40.01 * 1.21 = 48.4121 -> 48.41
        (26_670, 4_001, 4_841),
        (26_700, 4_005, 4_846),  # 15% of 267.00 = 40.05; 40.05 * 1.21 = 48.4605 -> 48.46
        (250_000, 37_500, 45_375),  # 15% of 2,500 = 375.00; 375 * 1.21 = 453.75
        (250_005, 37_501, 45_376),  # 375 + 10% of 0.05 = 375.005 -> 375.01; * 1.21 = 453.7621
        # 375 + 10% of 500 = 425.00; 425 * 1.21 = 514.25
        (300_000, 42_500, 51_425),
        (500_000, 62_500, 75_625),  # 375 + 250 = 625.00; 625 * 1.21 = 756.25
        (1_000_000, 87_500, 105_875),  # 625 + 5% of 5,000 = 875.00; 875 * 1.21 = 1,058.75
        # 875 + 1% of 190,000 = 2,775.00; 2,775 * 1.21 = 3,357.75
        (20_000_000, 277_500, 335_775),
        # 2,775 + 0.5% of 800,000 = 6,775.00 (exactly the cap); 6,775 * 1.21 = 8,197.75
        (100_000_000, 677_500, 819_775),
        (100_000_100, 677_500, 819_775),  # 6,775.005 -> 6,775.01 -> capped at 6,775.00
        (200_000_000, 677_500, 819_775),  # 2,775 + 0.5% of 1,800,000 = 11,775 -> capped
    ],
)
def test_wik_costs(principal: int, without_vat: int, with_vat: int) -> None:
    assert wik_costs(principal) == without_vat
    assert wik_costs(principal, vat=False) == without_vat
    assert wik_costs(principal, vat=True) == with_vat


@settings(database=None)
@given(st.integers(min_value=1, max_value=10**12), st.integers(min_value=0, max_value=10**12))
def test_wik_costs_is_monotonic_and_bounded(principal: int, more: int) -> None:
    low, high = wik_costs(principal), wik_costs(principal + more)
    assert 4_000 <= low <= high <= 677_500


@pytest.mark.parametrize(
    ("principal", "start", "end", "kind", "rates", "expected"),
    [
        # One full non-leap interest year at a flat 8%: 1,000.00 * 8% = 80.00.
        (100_000, date(2021, 3, 1), date(2022, 3, 1), "consumer", FLAT_8, 8_000),
        # One full leap interest year (366 days, through 2024-02-29) at 8%: still 80.00.
        (100_000, date(2023, 3, 1), date(2024, 3, 1), "consumer", FLAT_8, 8_000),
        # 2024 is a leap year at a constant 7% (two table rows, same rate): 1,000.00 * 7% = 70.00.
        (100_000, date(2024, 1, 1), date(2025, 1, 1), "consumer", None, 7_000),
        # From 29 February the year ends on 28 February 2025 (365 days): 1,000.00 * 8% = 80.00.
        (100_000, date(2024, 2, 29), date(2025, 2, 28), "consumer", FLAT_8, 8_000),
        # One more day, in the second year (2025-02-28..2026-02-28, 365 days), on 1,080.00:
        # 80.00 + 108,000 * 8 * 1 / (100 * 365) cents = 8,000 + 23.67 = 8,023.67 -> 8,024.
        (100_000, date(2024, 2, 29), date(2025, 3, 1), "consumer", FLAT_8, 8_024),
        # Exactly half a cent: 365 * 10 * 5 / (100 * 365) = 0.5 -> 1 cent, half-up.
        (365, date(2021, 1, 1), date(2021, 1, 6), "consumer", FLAT_10, 1),
        # Commercial, 10,000.00 from 2024-06-01 to 2024-08-01; interest year 2024-06-01 to
        # 2025-06-01 has 365 days. June: 30 days at 12.5%, July: 31 days at 12.25%.
        # 1,000,000 * (12.5 * 30 + 12.25 * 31) / (100 * 365) = 1,000,000 * 754.75 / 36,500
        # = 754,750,000 / 36,500 = 20,678.08 -> 20,678.
        (1_000_000, date(2024, 6, 1), date(2024, 8, 1), "commercial", None, 20_678),
        (1_000_000, date(2024, 6, 1), date(2024, 8, 1), InterestKind.COMMERCIAL, None, 20_678),
        # Consumer vs commercial, 10,000.00 over 2023-01-01..2023-07-01 (181 days of a 365-day
        # interest year). Consumer 4%: 1,000,000 * 4 * 181 / 36,500 = 724,000,000 / 36,500
        # = 19,835.62 -> 19,836.
        (1_000_000, date(2023, 1, 1), date(2023, 7, 1), "consumer", None, 19_836),
        # Commercial 10.5%: 1,000,000 * 10.5 * 181 / 36,500 = 1,900,500,000 / 36,500
        # = 52,068.49 -> 52,068.
        (1_000_000, date(2023, 1, 1), date(2023, 7, 1), "commercial", None, 52_068),
        (1_000_000, date(2023, 1, 1), date(2023, 7, 1), InterestKind.CONSUMER, None, 19_836),
        # Consumer, 10,000.00, year 1 = 2023-01-01..2024-01-01 (365 days):
        # 181 days at 4% + 184 days at 6%: 1,000,000 * (4 * 181 + 6 * 184) / 36,500
        # = 1,000,000 * 1,828 / 36,500 = 50,082.19 -> 50,082 booked at the anniversary.
        (1_000_000, date(2023, 1, 1), date(2024, 1, 1), "consumer", None, 50_082),
        # ... plus one day of year 2 (366 days, 7%) on 1,050,082:
        # 1,050,082 * 7 * 1 / 36,600 = 200.84; 50,082 + 200.84 = 50,282.84 -> 50,283.
        (1_000_000, date(2023, 1, 1), date(2024, 1, 2), "consumer", None, 50_283),
        # ... plus all of year 2 (2024-01-01..2025-01-01, 366 days at 7%) on 1,050,082:
        # 1,050,082 * 7% = 73,505.74; 50,082 + 73,505.74 = 123,587.74 -> 123,588.
        # (Without compounding it would be 50,082.19 + 70,000 = 120,082.)
        (1_000_000, date(2023, 1, 1), date(2025, 1, 1), "consumer", None, 123_588),
        # Commercial over the same two years. Year 1: 1,000,000 * (10.5 * 181 + 12 * 184)
        # / 36,500 = 4,108,500,000 / 36,500 = 112,561.64 -> 112,562 booked.
        # Year 2 on 1,112,562: 182 days at 12.5% + 184 days at 12.25% of a 366-day year:
        # 1,112,562 * (2,275 + 2,254) / 36,600 = 5,038,793,298 / 36,600 = 137,671.95.
        # 112,562 + 137,671.95 = 250,233.95 -> 250,234.
        (1_000_000, date(2023, 1, 1), date(2025, 1, 1), "commercial", None, 250_234),
        # Nothing accrues on a zero principal, or when the period is empty.
        (0, date(2023, 1, 1), date(2025, 1, 1), "commercial", None, 0),
        (1_000_000, date(2024, 3, 1), date(2024, 3, 1), "consumer", None, 0),
        (1_000_000, date(2024, 3, 2), date(2024, 3, 1), "consumer", None, 0),
        # An empty period needs no rates at all, not even for dates before the first one.
        (1_000_000, date(2000, 1, 1), date(2000, 1, 1), "consumer", None, 0),
    ],
)
def test_statutory_interest(
    principal: int,
    start: date,
    end: date,
    kind: str | InterestKind,
    rates: list[tuple[date, Decimal]] | None,
    expected: int,
) -> None:
    if rates is None:
        rates = RATES[InterestKind(kind).value]
    assert statutory_interest(principal, start, end, kind, rates=rates) == expected


def test_statutory_interest_loads_the_rates_of_its_kind(monkeypatch: pytest.MonkeyPatch) -> None:
    import agency.cases.queries

    asked: list[InterestKind | str] = []

    def fake_interest_rates(kind: InterestKind | str) -> list[tuple[date, Decimal]]:
        asked.append(kind)
        return RATES["commercial"]

    monkeypatch.setattr(agency.cases.queries, "interest_rates", fake_interest_rates)
    # Same case as above: 1,000,000 * 10.5 * 181 / 36,500 = 52,068.49 -> 52,068.
    got = statutory_interest(1_000_000, date(2023, 1, 1), date(2023, 7, 1), "commercial")
    assert got == 52_068
    assert asked == [InterestKind.COMMERCIAL]


@pytest.mark.parametrize(
    ("principal", "start", "end", "kind", "rates", "message"),
    [
        (100, date(2022, 12, 31), date(2023, 1, 2), "consumer", RATES["consumer"], "2022-12-31"),
        (100, date(2022, 1, 1), date(2022, 2, 1), "commercial", RATES["commercial"], "first"),
        (-1, date(2023, 1, 1), date(2023, 2, 1), "consumer", RATES["consumer"], "negative"),
        (100, date(2023, 1, 1), date(2023, 2, 1), "business", RATES["consumer"], "business"),
        (100, date(2023, 1, 1), date(2023, 2, 1), "consumer", [], "no consumer"),
        (
            100,
            date(2023, 1, 1),
            date(2023, 2, 1),
            "consumer",
            list(reversed(RATES["consumer"])),
            "ascending",
        ),
    ],
)
def test_statutory_interest_rejects(
    principal: int,
    start: date,
    end: date,
    kind: str,
    rates: list[tuple[date, Decimal]],
    message: str,
) -> None:
    with pytest.raises(ValueError, match=message):
        statutory_interest(principal, start, end, kind, rates=rates)


@settings(database=None)
@given(
    principal=st.integers(min_value=0, max_value=10**11),
    start=st.dates(min_value=date(2023, 1, 1), max_value=date(2026, 12, 31)),
    days=st.lists(st.integers(min_value=0, max_value=3_000), min_size=2, max_size=2),
    kind=st.sampled_from(["consumer", "commercial"]),
)
def test_statutory_interest_grows_with_the_end_date(
    principal: int, start: date, days: list[int], kind: str
) -> None:
    near, far = sorted(days)
    rates = RATES[kind]
    earlier = statutory_interest(principal, start, start + timedelta(near), kind, rates=rates)
    later = statutory_interest(principal, start, start + timedelta(far), kind, rates=rates)
    assert 0 <= earlier <= later
