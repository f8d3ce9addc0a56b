"""Collection costs (WIK) and statutory interest on a debt, in integer cents.

Pure functions: money goes in and out as integer cents, the arithmetic runs on
``decimal.Decimal`` and results are rounded half-up to whole cents.
"""

from __future__ import annotations

import decimal
from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from itertools import pairwise

from agency.cases.models import InterestKind
from agency.money import round_cents

# Besluit vergoeding voor buitengerechtelijke incassokosten, art. 2 lid 1: the scale over the
# principal, as (width of the band in cents or None for the rest, percentage of that band).
_WIK_BANDS: tuple[tuple[int | None, Decimal], ...] = (
    (250_000, Decimal("15")),
    (250_000, Decimal("10")),
    (500_000, Decimal("5")),
    (19_000_000, Decimal("1")),
    (None, Decimal("0.5")),
)
# Same article: at least EUR 40 and at most EUR 6,775.
_WIK_MIN_CENTS = 4_000
_WIK_MAX_CENTS = 677_500
# The scale amounts exclude VAT; a creditor who cannot deduct VAT charges the 21% general rate
# (Wet op de omzetbelasting 1968, art. 9 lid 1) on top.
_VAT_PCT = Decimal("21")

# Enough digits that products of cents, percentages and day counts stay exact.
_PRECISION = 60


def wik_costs(principal_cents: int, *, vat: bool = False) -> int:
    """Return the WIK collection costs on the summed principal of all one debtor's claims."""
    if principal_cents <= 0:
        return 0
    with decimal.localcontext(prec=_PRECISION):
        remaining = Decimal(principal_cents)
        costs = Decimal(0)
        for width, pct in _WIK_BANDS:
            band = remaining if width is None else min(remaining, Decimal(width))
            costs += band * pct / 100
            remaining -= band
            if remaining <= 0:
                break
        cents = min(max(round_cents(costs), _WIK_MIN_CENTS), _WIK_MAX_CENTS)
        if vat:
            cents = round_cents(Decimal(cents) * (100 + _VAT_PCT) / 100)
    return cents


def _anniversary(start: date, years: int) -> date:
    """Return ``start`` moved on by ``years`` years; 29 February lands on 28 February."""
    try:
        return start.replace(year=start.year + years)
    except ValueError:
        return start.replace(year=start.year + years, day=28)


def _check_rates(rates: Sequence[tuple[date, Decimal]], kind: InterestKind) -> None:
    """Raise ValueError unless ``rates`` is non-empty and strictly ascending by date."""
    if not rates:
        raise ValueError(f"no {kind.value} statutory interest rates are known")
    for (earlier, _), (later, _) in pairwise(rates):
        if later <= earlier:
            raise ValueError(
                f"{kind.value} interest rates are not in ascending date order: "
                f"{earlier.isoformat()} comes before {later.isoformat()}"
            )


def _rate_periods(
    rates: Sequence[tuple[date, Decimal]], start: date, end: date, kind: InterestKind
) -> list[tuple[date, date, Decimal]]:
    """Split [start, end) into (from, until, percent) pieces of constant rate."""
    first = rates[0][0]
    if start < first:
        raise ValueError(
            f"no {kind.value} statutory interest rate is known for {start.isoformat()}; "
            f"the first rate is valid from {first.isoformat()}"
        )
    periods = []
    for i, (valid_from, pct) in enumerate(rates):
        valid_until = rates[i + 1][0] if i + 1 < len(rates) else None
        lo = max(start, valid_from)
        hi = end if valid_until is None else min(end, valid_until)
        if lo < hi:
            periods.append((lo, hi, pct))
    return periods


def statutory_interest(
    principal_cents: int,
    start: date,
    end: date,
    kind: InterestKind | str,
    *,
    rates: Sequence[tuple[date, Decimal]] | None = None,
) -> int:
    """Return the statutory interest in cents on ``principal_cents`` for start <= day < end."""
    if principal_cents < 0:
        raise ValueError(f"principal must not be negative, got {principal_cents} cents")
    kind = InterestKind(kind)
    if start >= end:
        return 0
    if rates is None:
        from agency.cases.queries import interest_rates

        rates = interest_rates(kind)
    _check_rates(rates, kind)

    with decimal.localcontext(prec=_PRECISION):
        amount = Decimal(principal_cents)
        booked = 0  # interest of completed years, in whole cents
        running = Decimal(0)  # unrounded interest of the current, incomplete year
        years = 0
        year_start = start
        while year_start < end:
            years += 1
            year_end = _anniversary(start, years)
            year_days = (year_end - year_start).days
            # The rate is a rate per year (art. 6:119 lid 1 BW), so each day earns its share of
            # the interest year it falls in and a full year earns exactly that rate.
            periods = _rate_periods(rates, year_start, min(end, year_end), kind)
            numerator = sum((amount * pct * (hi - lo).days for lo, hi, pct in periods), Decimal(0))
            interest = numerator / (100 * year_days)
            if year_end <= end:
                # Art. 6:119 lid 2 / 6:119a lid 3 BW: after each year the interest of that year
                # is added to the sum on which interest runs.
                year_cents = round_cents(interest)
                booked += year_cents
                amount += year_cents
            else:
                running = interest
            year_start = year_end
        return booked + round_cents(running)
