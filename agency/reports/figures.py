"""The figures a dashboard is made of, as plain data (no database, no Flask).

`agency/reports/queries.py` fills them; the portal page, the charts (`charts.py`), the exports
and the monthly PDF (`pdf.py`) only read them. Money in integer cents, days as `Decimal`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

# Aging buckets of open principal by days past the due date, in display order.
AGING_BUCKETS: tuple[tuple[str, int, int | None], ...] = (
    ("0_30", 0, 30),  # not yet due counts here too
    ("31_60", 31, 60),
    ("61_90", 61, 90),
    ("90_plus", 91, None),
)


@dataclass(frozen=True)
class Amount:
    """A sum of money and how many things (invoices, cases, payments) make it up."""

    cents: int
    count: int


@dataclass(frozen=True)
class AgingBucket:
    key: str  # one of AGING_BUCKETS
    cents: int  # open principal
    invoices: int
    cases: int


@dataclass(frozen=True)
class MonthCash:
    month: date  # the first day of the month
    agency_cents: int  # paid to the agency (payment page, bank), reversals netted
    direct_cents: int  # paid to the client directly, as the client reported


@dataclass(frozen=True)
class DsoPoint:
    day: date  # a month's last day (or today for the running month)
    days: Decimal | None  # None when there were no sales to divide by


@dataclass(frozen=True)
class InflowWeek:
    week_start: date  # a Monday
    promises_cents: int
    instalments_cents: int

    @property
    def total_cents(self) -> int:
        return self.promises_cents + self.instalments_cents


@dataclass(frozen=True)
class TermDebtor:
    """A debtor that accepted the client's shorter payment term."""

    debtor_id: int
    case_id: int
    name: str
    old_days: int
    new_days: int
    agreed_on: date
    daily_sales_cents: Decimal  # the debtor's invoicing per day, from the payment history
    released_cents: int  # (old_days - new_days) x daily sales: working capital it should free


@dataclass(frozen=True)
class Dashboard:
    client_id: int | None  # None: all clients (the agency's own view)
    as_of: date
    handed_over: Amount  # principal handed over; count = invoices
    cases_handed_over: int
    collected_agency: Amount  # count = payments
    collected_direct: Amount
    collected_principal_cents: int  # the part of both that paid principal
    credited_cents: int  # credit notes and negative adjustments on principal
    outstanding: Amount  # open balance of open cases; count = open cases
    outstanding_principal_cents: int
    recovery_rate: Decimal | None  # collected principal / (handed over - credited), 0..1
    aging: list[AgingBucket]
    daily_sales_cents: Decimal | None  # from the payment history in the handoffs
    dso_before: Decimal | None  # at the first handoff
    dso_now: Decimal | None
    working_capital_released_cents: int  # (dso_before - dso_now) x daily sales
    dso_trend: list[DsoPoint]
    cash_per_month: list[MonthCash]  # the last 12 months, oldest first
    by_status: dict[str, int]  # CaseStatus value -> cases
    promises_kept: Amount
    promises_broken: Amount
    promises_open: Amount
    inflow: list[InflowWeek]  # the next 13 weeks from the Monday of as_of's week
    term_debtors: list[TermDebtor] = field(default_factory=list)
    term_dso_effect_days: Decimal | None = None  # days of DSO the shorter terms should save
    term_released_cents: int = 0

    @classmethod
    def empty(cls, client_id: int | None, as_of: date) -> Dashboard:
        """A dashboard with nothing in it, to fill in part (queries.chart_dashboard)."""
        nothing = Amount(0, 0)
        return cls(
            client_id=client_id,
            as_of=as_of,
            handed_over=nothing,
            cases_handed_over=0,
            collected_agency=nothing,
            collected_direct=nothing,
            collected_principal_cents=0,
            credited_cents=0,
            outstanding=nothing,
            outstanding_principal_cents=0,
            recovery_rate=None,
            aging=[],
            daily_sales_cents=None,
            dso_before=None,
            dso_now=None,
            working_capital_released_cents=0,
            dso_trend=[],
            cash_per_month=[],
            by_status={},
            promises_kept=nothing,
            promises_broken=nothing,
            promises_open=nothing,
            inflow=[],
        )

    @property
    def collected(self) -> Amount:
        return Amount(
            self.collected_agency.cents + self.collected_direct.cents,
            self.collected_agency.count + self.collected_direct.count,
        )

    @property
    def promise_kept_rate(self) -> Decimal | None:
        decided = self.promises_kept.count + self.promises_broken.count
        return Decimal(self.promises_kept.count) / decided if decided else None

    @property
    def inflow_total_cents(self) -> int:
        return sum(week.total_cents for week in self.inflow)
