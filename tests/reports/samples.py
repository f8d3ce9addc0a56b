"""Dashboards built by hand, for the charts and the PDF: one with figures, one empty."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from agency.reports.figures import (
    AgingBucket,
    Amount,
    Dashboard,
    DsoPoint,
    InflowWeek,
    MonthCash,
    TermDebtor,
)

AS_OF = date(2025, 9, 30)


def _months(as_of: date, n: int = 12) -> list[date]:
    index = as_of.year * 12 + as_of.month - 1
    return [date((index - i) // 12, (index - i) % 12 + 1, 1) for i in range(n - 1, -1, -1)]


def _month_end(month: date) -> date:
    following = date(month.year + month.month // 12, month.month % 12 + 1, 1)
    return following - timedelta(days=1)


def full_dashboard(as_of: date = AS_OF) -> Dashboard:
    """A client some months into its collection: every figure and every chart has data."""
    months = _months(as_of)
    monday = as_of - timedelta(days=as_of.weekday())
    dso = [Decimal(v) for v in (71, 70, 68, 66, 63, 60, 57, 55, 52, 50, 48, 46)]
    return Dashboard(
        client_id=1,
        as_of=as_of,
        handed_over=Amount(1_234_567_89, 412),
        cases_handed_over=187,
        collected_agency=Amount(402_310_55, 233),
        collected_direct=Amount(98_765_40, 41),
        collected_principal_cents=455_000_00,
        credited_cents=12_500_00,
        outstanding=Amount(745_120_33, 121),
        outstanding_principal_cents=701_002_10,
        recovery_rate=Decimal("0.3723"),
        aging=[
            AgingBucket("0_30", 120_450_00, 40, 31),
            AgingBucket("31_60", 210_300_10, 61, 40),
            AgingBucket("61_90", 95_252_00, 27, 22),
            AgingBucket("90_plus", 275_000_00, 70, 35),
        ],
        daily_sales_cents=Decimal("1523400.00"),
        dso_before=Decimal("72.4"),
        dso_now=Decimal("46.1"),
        working_capital_released_cents=400_658_40,
        dso_trend=[
            DsoPoint(as_of if i == 11 else _month_end(m), v)
            for i, (m, v) in enumerate(zip(months, dso, strict=True))
        ],
        cash_per_month=[
            MonthCash(m, 20_000_00 + 3_517_00 * i, 4_000_00 + 1_250_00 * (i % 4))
            for i, m in enumerate(months)
        ],
        by_status={
            "new": 3,
            "dunning": 60,
            "promised": 14,
            "arrangement": 22,
            "disputed": 4,
            "legal": 2,
            "paid": 70,
            "returned": 8,
            "written_off": 4,
        },
        promises_kept=Amount(61_200_00, 48),
        promises_broken=Amount(22_050_00, 13),
        promises_open=Amount(18_900_00, 14),
        inflow=[
            InflowWeek(
                monday + timedelta(weeks=w),
                (9_000_00 - 600_00 * w) if w < 10 else 0,
                3_250_00 + (w % 3) * 500_00,
            )
            for w in range(13)
        ],
        term_debtors=[
            TermDebtor(
                11,
                101,
                "Bakkerij Van Dijk B.V.",
                60,
                30,
                date(2025, 6, 12),
                Decimal("85000.00"),
                25_500_00,
            ),
            TermDebtor(
                12,
                102,
                "Çelik Bouw & Zonen",
                45,
                14,
                date(2025, 8, 2),
                Decimal("41000.50"),
                12_710_16,
            ),
        ],
        term_dso_effect_days=Decimal("2.5"),
        term_released_cents=38_210_16,
    )


def empty_dashboard(as_of: date = AS_OF) -> Dashboard:
    """A client that has handed nothing over yet."""
    monday = as_of - timedelta(days=as_of.weekday())
    return Dashboard(
        client_id=2,
        as_of=as_of,
        handed_over=Amount(0, 0),
        cases_handed_over=0,
        collected_agency=Amount(0, 0),
        collected_direct=Amount(0, 0),
        collected_principal_cents=0,
        credited_cents=0,
        outstanding=Amount(0, 0),
        outstanding_principal_cents=0,
        recovery_rate=None,
        aging=[AgingBucket(k, 0, 0, 0) for k in ("0_30", "31_60", "61_90", "90_plus")],
        daily_sales_cents=None,
        dso_before=None,
        dso_now=None,
        working_capital_released_cents=0,
        dso_trend=[DsoPoint(_month_end(m), None) for m in _months(as_of)],
        cash_per_month=[MonthCash(m, 0, 0) for m in _months(as_of)],
        by_status={},
        promises_kept=Amount(0, 0),
        promises_broken=Amount(0, 0),
        promises_open=Amount(0, 0),
        inflow=[InflowWeek(monday + timedelta(weeks=w), 0, 0) for w in range(13)],
    )
