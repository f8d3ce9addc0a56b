"""The dashboard's figures against values worked out by hand on the fixed book of conftest.py."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from agency.extensions import db as _db
from agency.reports import queries
from agency.reports.queries import dashboard, figure_case_ids
from tests.reports.conftest import AS_OF


def test_headline_figures_match_the_hand_computed_ones(book):
    d = dashboard(book["a"].id, AS_OF)
    assert (d.handed_over.cents, d.handed_over.count, d.cases_handed_over) == (3900_00, 3, 2)
    assert (d.collected_agency.cents, d.collected_agency.count) == (1000_00, 1)
    assert (d.collected_direct.cents, d.collected_direct.count) == (100_00, 1)
    assert d.collected.cents == 1100_00
    # Principal collected: 1,000 (all principal) + 60 (100 less 40 costs).
    assert d.collected_principal_cents == 1060_00
    assert d.credited_cents == 0
    assert d.recovery_rate == Decimal("0.2718")  # 1,060 / 3,900 = 0.27179...
    # Case 1: 3,000 - 1,000; case 2: 500 + 400 + 40 - 100.
    assert (d.outstanding.cents, d.outstanding.count) == (2000_00 + 840_00, 2)
    assert d.outstanding_principal_cents == 2840_00


def test_aging_buckets_by_days_past_due(book):
    d = dashboard(book["a"].id, AS_OF)
    aging = {b.key: (b.cents, b.invoices, b.cases) for b in d.aging}
    # I3 is 30 days past due; I1 181 and I2 136 days.
    assert aging == {
        "0_30": (400_00, 1, 1),
        "31_60": (0, 0, 0),
        "61_90": (0, 0, 0),
        "90_plus": (2000_00 + 440_00, 2, 2),
    }


def test_dso_before_and_after_handoff(book):
    d = dashboard(book["a"].id, AS_OF)
    # Sales window 1-7-2025 .. 28-2-2026 is 243 days; invoiced H1+H2+I1+I2+I3 = 6,900.
    assert d.daily_sales_cents == Decimal("2839.51")  # 690,000 / 243 = 2,839.506...
    # On 1-3-2026 the receivables are the 3,900 handed over (H1 and H2 were paid by then).
    assert d.dso_before == Decimal("137.3")  # 390,000 / 2,839.51 = 137.348...
    # Now: 2,000 + 440 + 400 of principal still open.
    assert d.dso_now == Decimal("100.0")  # 284,000 / 2,839.51 = 100.017...
    assert d.working_capital_released_cents == 1060_00
    trend = {p.day: p.days for p in d.dso_trend}
    assert list(trend)[0] == date(2025, 7, 31) and list(trend)[-1] == AS_OF
    assert len(trend) == 12
    assert trend[date(2025, 7, 31)] == Decimal("35.2")  # H1 open: 100,000 / 2,839.51
    assert trend[date(2025, 8, 31)] == Decimal("0.0")  # H1 paid, H2 not yet invoiced
    assert trend[date(2025, 12, 31)] == Decimal("176.1")  # H2 and I1: 500,000 / 2,839.51
    assert trend[date(2026, 3, 31)] == Decimal("137.3")
    assert trend[date(2026, 4, 30)] == Decimal("102.1")  # principal 3,900 - 1,000 paid: 290,000


def test_receivables_follow_adjustments_and_reversals_of_principal(book, db):
    from agency.cases.models import Invoice
    from agency.ledger.models import EntryKind, EntrySource, LedgerEntry
    from agency.ledger.operations import book_adjustment, reverse_entry

    case2 = book["case2"]
    i2, i3 = (
        db.session.scalar(db.select(Invoice).filter_by(client_id=book["a"].id, number=number))
        for number in ("I2", "I3")
    )
    # I3 goes up by EUR 50 on 10-6-2026 (a price correction the client reported) ...
    book_adjustment(case2, i3, 50_00, booked_on=date(2026, 6, 10), source=EntrySource.CLIENT)
    # ... and I2 turns out never to have been ours to collect: its principal is reversed on
    # 20-6-2026, after the EUR 60 of it the client was paid directly.
    principal = db.session.scalar(
        db.select(LedgerEntry).filter_by(invoice_id=i2.id, kind=EntryKind.PRINCIPAL)
    )
    reverse_entry(principal, booked_on=date(2026, 6, 20), reason="handed over by mistake")
    db.session.commit()
    d = dashboard(book["a"].id, AS_OF)
    trend = {p.day: p.days for p in d.dso_trend}
    # Before: unchanged (1-3-2026: 390,000; 31-5: 290,000 - 6,000 of I2 = 284,000).
    assert d.dso_before == Decimal("137.3")
    assert trend[date(2026, 5, 31)] == Decimal("100.0")
    # Now: 284,000 + 5,000 (I3 up) - 50,000 (I2's principal reversed) = 239,000.
    assert d.dso_now == Decimal("84.2")  # 239,000 / 2,839.51 = 84.17...
    assert d.working_capital_released_cents == 1510_00  # 390,000 - 239,000


def test_cash_promises_and_status(book):
    d = dashboard(book["a"].id, AS_OF)
    cash = {m.month: (m.agency_cents, m.direct_cents) for m in d.cash_per_month}
    assert list(cash)[0] == date(2025, 7, 1) and list(cash)[-1] == date(2026, 6, 1)
    assert cash[date(2026, 4, 1)] == (1000_00, 0)
    assert cash[date(2026, 5, 1)] == (0, 100_00)
    assert sum(a + b for a, b in cash.values()) == 1100_00
    assert d.by_status["dunning"] == 2 and sum(d.by_status.values()) == 2
    assert (d.promises_kept.cents, d.promises_kept.count) == (1000_00, 1)
    assert (d.promises_broken.cents, d.promises_broken.count) == (300_00, 1)
    assert (d.promises_open.cents, d.promises_open.count) == (200_00, 1)
    assert d.promise_kept_rate == Decimal("0.5")


def test_expected_inflow_over_thirteen_weeks(book):
    d = dashboard(book["a"].id, AS_OF)
    assert len(d.inflow) == 13 and d.inflow[0].week_start == date(2026, 6, 29)
    weeks = {
        w.week_start: (w.promises_cents, w.instalments_cents) for w in d.inflow if w.total_cents
    }
    assert weeks == {
        date(2026, 7, 6): (200_00, 0),
        date(2026, 7, 13): (0, 500_00),
        date(2026, 8, 10): (0, 500_00),
    }  # the instalment of 15-10-2026 is beyond the 13 weeks
    assert d.inflow_total_cents == 1200_00


def test_shorter_payment_terms_and_their_effect(book):
    d = dashboard(book["a"].id, AS_OF)
    (term,) = d.term_debtors
    assert (term.debtor_id, term.old_days, term.new_days) == (book["d1"].id, 30, 14)
    # Debtor 1 invoiced H1+H2+I1 = 6,000 in the 243-day window: 2,469.14 cents a day.
    assert term.daily_sales_cents == Decimal("2469.14")
    assert term.released_cents == 395_06  # 16 days x 2,469.14 = 39,506.24 cents
    assert d.term_released_cents == 395_06
    assert d.term_dso_effect_days == Decimal("13.9")  # 39,506 / 2,839.51


def test_a_past_day_counts_only_what_was_booked_by_then(book):
    d = dashboard(book["a"].id, date(2026, 4, 30))
    assert d.collected_agency.cents == 1000_00 and d.collected_direct.cents == 0
    assert d.outstanding.cents == 2000_00 + 940_00
    assert (d.promises_kept.count, d.promises_broken.count, d.promises_open.count) == (1, 0, 0)


def test_no_figure_of_another_client_leaks(book):
    a = dashboard(book["a"].id, AS_OF)
    b = dashboard(book["b"].id, AS_OF)
    everyone = dashboard(None, AS_OF)
    assert b.handed_over.cents == 777_77 and b.collected_agency.cents == 111_11
    assert b.promises_kept.cents == 555_55 and b.term_debtors == []
    assert everyone.handed_over.cents == a.handed_over.cents + b.handed_over.cents
    assert everyone.collected_agency.cents == a.collected_agency.cents + 111_11
    assert everyone.promises_kept.count == 2
    for figure in queries.DRILL_DOWNS:
        ids = set(_db.session.scalars(figure_case_ids(book["a"].id, figure, AS_OF)))
        assert book["case3"].id not in ids, figure


def test_drill_down_lists_the_cases_behind_each_figure(book):
    c1, c2 = book["case1"].id, book["case2"].id

    def cases(figure):
        return set(_db.session.scalars(figure_case_ids(book["a"].id, figure, AS_OF)))

    assert cases("handed_over") == {c1, c2}
    assert cases("collected_agency") == {c1}
    assert cases("collected_direct") == {c2}
    assert cases("outstanding") == {c1, c2}
    assert cases("aging_0_30") == {c2}
    assert cases("aging_31_60") == set()
    assert cases("aging_90_plus") == {c1, c2}
    assert cases("promises_kept") == {c1}
    assert cases("promises_broken") == {c2}
    assert cases("promises_open") == {c2}
    assert cases("inflow") == {c1, c2}
    assert cases("terms") == {c1}
    d = dashboard(book["a"].id, AS_OF)
    for bucket in d.aging:
        assert len(cases(f"aging_{bucket.key}")) == bucket.cases


def test_a_chart_computes_only_its_own_part_and_the_same_figures(book):
    full = dashboard(book["a"].id, AS_OF)
    assert queries.chart_dashboard(book["a"].id, "cash", AS_OF).cash_per_month == (
        full.cash_per_month
    )
    assert queries.chart_dashboard(book["a"].id, "aging", AS_OF).aging == full.aging
    dso = queries.chart_dashboard(book["a"].id, "dso", AS_OF)
    assert (dso.dso_before, dso.dso_trend) == (full.dso_before, full.dso_trend)
    inflow = queries.chart_dashboard(book["a"].id, "inflow", AS_OF)
    assert inflow.inflow == full.inflow and inflow.aging == [] and inflow.handed_over.cents == 0
