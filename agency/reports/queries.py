"""The dashboard's figures, from the ledger, the invoices and the contact log.

Every reading takes `client_id` (None: all clients, for the agency's own view) and applies it
in `_scoped`, so that no figure of one client can reach another. Each figure is computed as of
a date (`as_of`): ledger entries booked later, promises settled later and invoices paid later
do not count, which is what makes a past month's report reproducible.

How each figure is computed is written down once, in `DEFINITIONS`, and shown next to it on
the page and in the PDF.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import TypeVar

import sqlalchemy as sa
from flask import current_app

from agency.cases.models import Case, CaseStatus, Debtor, Invoice
from agency.clients.models import Client
from agency.contact_log.models import (
    Arrangement,
    ArrangementStatus,
    Instalment,
    InstalmentStatus,
    PaymentTermAgreement,
    Promise,
    PromiseStatus,
)
from agency.extensions import db
from agency.i18n import lazy_gettext as _l
from agency.ledger.models import REDUCING_KINDS, Allocation, Component, EntryKind, LedgerEntry
from agency.money import round_cents
from agency.reports.figures import (
    AGING_BUCKETS,
    AgingBucket,
    Amount,
    Dashboard,
    DsoPoint,
    InflowWeek,
    MonthCash,
    TermDebtor,
)

_T = TypeVar("_T")

# The payment history used for average daily sales: at most this many days before the first
# handoff.
SALES_WINDOW_DAYS = 365
TREND_MONTHS = 12
INFLOW_WEEKS = 13

DEFINITIONS = {
    "handed_over": _l(
        "Principal of all invoices handed over to us (count: invoices), before any payment."
    ),
    "collected_agency": _l(
        "Payments received by us (payment page and bank), bounced payments deducted "
        "(count: payments)."
    ),
    "collected_direct": _l("Payments you reported as made to you directly (count: payments)."),
    "outstanding": _l(
        "What debtors still owe on open cases: principal, collection costs and interest "
        "(count: open cases)."
    ),
    "recovery_rate": _l(
        "Principal collected (by us and directly) divided by principal handed over minus "
        "credit notes."
    ),
    "aging": _l(
        "Open principal of open cases by days past the invoice's due date; invoices not yet "
        "due count as 0–30."
    ),
    "daily_sales": _l(
        "Your invoicing per day: the invoices in your handoffs (paid history and handed over) "
        "dated in the 365 days before your first handoff, divided by the days covered."
    ),
    "dso": _l(
        "Days sales outstanding: receivables not yet paid on that day (paid history and handed "
        "over invoices, as far as we know them) divided by your invoicing per day."
    ),
    "dso_before": _l("DSO on the day of your first handoff."),
    "working_capital": _l(
        "DSO before handoff minus DSO now, times your invoicing per day: the cash that is no "
        "longer tied up in receivables."
    ),
    "cash_per_month": _l(
        "Payments per month of booking, to us and to you directly, bounced payments deducted."
    ),
    "status": _l("Cases by their current status."),
    "promises": _l(
        "Promises to pay made to our agents: kept when paid in full by the promised date plus "
        "the grace period, broken otherwise; open ones are still running."
    ),
    "inflow": _l(
        "Open promises and open instalments of running payment arrangements, by the week they "
        "fall due (overdue ones count in the first week)."
    ),
    "terms": _l(
        "Debtors who accepted your new, shorter payment term. The effect: days shortened times "
        "the debtor's invoicing per day, in euros and in days of your DSO."
    ),
}


def _scoped(stmt: sa.Select, column, client_id: int | None) -> sa.Select:
    """Restrict a statement to one client; the one place the reports apply the tenant."""
    return stmt if client_id is None else stmt.where(column == client_id)


def _cents(value) -> int:
    return int(value or 0)


def _month_start(day: date) -> date:
    return day.replace(day=1)


def add_months(month: date, n: int) -> date:
    index = month.year * 12 + month.month - 1 + n
    return date(index // 12, index % 12 + 1, 1)


def month_end(month: date) -> date:
    """The last day of the month that `month` is in."""
    return add_months(_month_start(month), 1) - timedelta(days=1)


def _open_at(as_of: date):
    """Cases open on `as_of`: opened by then and not closed by then."""
    return sa.and_(
        Case.opened_on <= as_of, sa.or_(Case.closed_on.is_(None), Case.closed_on > as_of)
    )


def _principal_charge():
    """Entries that add principal: principal (and its reversals) and upward adjustments."""
    return sa.or_(
        LedgerEntry.kind == EntryKind.PRINCIPAL,
        sa.and_(LedgerEntry.kind == EntryKind.ADJUSTMENT, LedgerEntry.amount_cents > 0),
    )


def _principal_moves(client_id: int | None, as_of: date) -> sa.Subquery:
    """Every change to an invoice's principal up to `as_of`: (invoice_id, day, cents)."""
    charges = _scoped(
        sa.select(
            LedgerEntry.invoice_id.label("invoice_id"),
            LedgerEntry.booked_on.label("day"),
            LedgerEntry.amount_cents.label("cents"),
        ).where(_principal_charge(), LedgerEntry.booked_on <= as_of),
        LedgerEntry.client_id,
        client_id,
    )
    allocated = _principal_allocations(
        client_id, as_of, Allocation.invoice_id, Allocation.booked_on, -Allocation.amount_cents
    )
    return sa.union_all(charges, allocated).subquery("principal_moves")


# Kinds of entry that carry allocations.
_ALLOCATED_KINDS = [*REDUCING_KINDS, EntryKind.ADJUSTMENT]


def _principal_allocations(client_id: int | None, as_of: date, *columns) -> sa.Select:
    """Select `columns` of the principal allocations booked up to `as_of`.

    Allocations carry their entry's client, kind and day, so this reads the client's rows of
    one index without joining each to its entry.
    """
    stmt = sa.select(*columns).where(
        Allocation.component == Component.PRINCIPAL,
        Allocation.kind.in_(_ALLOCATED_KINDS),
        Allocation.booked_on <= as_of,
    )
    return _scoped(stmt, Allocation.client_id, client_id)


# --- the figures ---------------------------------------------------------------------------


def _entry_totals(client_id: int | None, as_of: date) -> dict[EntryKind, tuple[int, int]]:
    """Sum and net count (reversals deducted) of the entries per kind, up to `as_of`."""
    stmt = _scoped(
        sa.select(
            LedgerEntry.kind,
            sa.func.sum(LedgerEntry.amount_cents),
            sa.func.sum(sa.case((LedgerEntry.reverses_id.is_(None), 1), else_=-1)),
        )
        .where(LedgerEntry.booked_on <= as_of)
        .group_by(LedgerEntry.kind),
        LedgerEntry.client_id,
        client_id,
    )
    return {kind: (_cents(total), int(n or 0)) for kind, total, n in db.session.execute(stmt)}


def _principal_allocated(client_id: int | None, as_of: date) -> dict[EntryKind, int]:
    """Principal settled per kind of reducing entry, up to `as_of`."""
    stmt = _principal_allocations(
        client_id, as_of, Allocation.kind, sa.func.sum(Allocation.amount_cents)
    ).group_by(Allocation.kind)
    return {kind: _cents(total) for kind, total in db.session.execute(stmt)}


def _handed_over(client_id: int | None, as_of: date) -> tuple[int, int]:
    """Invoices and cases handed over by `as_of`."""
    stmt = _scoped(
        sa.select(
            sa.func.count(sa.distinct(LedgerEntry.invoice_id)),
            sa.func.count(sa.distinct(LedgerEntry.case_id)),
        ).where(
            LedgerEntry.kind == EntryKind.PRINCIPAL,
            LedgerEntry.reverses_id.is_(None),
            LedgerEntry.booked_on <= as_of,
        ),
        LedgerEntry.client_id,
        client_id,
    )
    invoices, cases = db.session.execute(stmt).one()
    return int(invoices), int(cases)


def _outstanding(client_id: int | None, as_of: date) -> Amount:
    stmt = _scoped(
        _scoped(
            sa.select(
                sa.func.coalesce(sa.func.sum(LedgerEntry.amount_cents), 0),
            )
            .join(Case, Case.id == LedgerEntry.case_id)
            .where(_open_at(as_of), LedgerEntry.booked_on <= as_of),
            LedgerEntry.client_id,
            client_id,
        ),
        Case.client_id,  # both sides by their client's index
        client_id,
    )
    count = _scoped(sa.select(sa.func.count()).where(_open_at(as_of)), Case.client_id, client_id)
    return Amount(_cents(db.session.scalar(stmt)), int(db.session.scalar(count)))


def _open_invoices(client_id: int | None, as_of: date) -> sa.Subquery:
    """Invoices of cases open on `as_of` with principal still open: invoice, case, due, open."""
    moves = _principal_moves(client_id, as_of)
    per_invoice = (
        sa.select(moves.c.invoice_id, sa.func.sum(moves.c.cents).label("open_cents"))
        .group_by(moves.c.invoice_id)
        .having(sa.func.sum(moves.c.cents) > 0)
        .subquery("open_per_invoice")
    )
    stmt = (
        sa.select(
            Invoice.id.label("invoice_id"),
            Invoice.case_id.label("case_id"),
            Invoice.due_date.label("due_date"),
            per_invoice.c.open_cents,
        )
        .join(per_invoice, per_invoice.c.invoice_id == Invoice.id)
        .join(Case, Case.id == Invoice.case_id)
        .where(_open_at(as_of))
    )
    stmt = _scoped(_scoped(stmt, Invoice.client_id, client_id), Case.client_id, client_id)
    return stmt.subquery("open_invoices")


def _bucket(due_date, as_of: date):
    """The aging bucket of an invoice by its due date, as SQL: days past due on `as_of`, compared
    as dates (an invoice not yet due falls in the first bucket)."""
    whens = [
        (due_date >= as_of - timedelta(days=high), key)
        for key, _low, high in AGING_BUCKETS
        if high is not None
    ]
    return sa.case(*whens, else_=AGING_BUCKETS[-1][0])


def _aging(client_id: int | None, as_of: date) -> list[AgingBucket]:
    """Open principal, invoices and cases per aging bucket."""
    open_invoices = _open_invoices(client_id, as_of)
    bucket = _bucket(open_invoices.c.due_date, as_of).label("bucket")
    stmt = sa.select(
        bucket,
        sa.func.sum(open_invoices.c.open_cents),
        sa.func.count(),
        sa.func.count(sa.distinct(open_invoices.c.case_id)),
    ).group_by(bucket)
    with _hash_joins():
        rows = db.session.execute(stmt).all()
    found = {key: (_cents(total), int(n), int(cases)) for key, total, n, cases in rows}
    return [AgingBucket(key, *found.get(key, (0, 0, 0))) for key, _, _ in AGING_BUCKETS]


def first_handoff_on(client_id: int | None) -> date | None:
    """The day the first principal was booked with us: the reference day of 'before handoff'."""
    return db.session.scalar(
        _scoped(
            sa.select(sa.func.min(LedgerEntry.booked_on)).where(
                LedgerEntry.kind == EntryKind.PRINCIPAL
            ),
            LedgerEntry.client_id,
            client_id,
        )
    )


def _sales_window(client_id: int | None, handoff_on: date) -> tuple[date, int]:
    """The period of payment history that daily sales are measured over: start and days."""
    earliest = db.session.scalar(
        _scoped(
            sa.select(sa.func.min(Invoice.invoice_date)).where(
                Invoice.invoice_date < handoff_on, Invoice.amount_cents > 0
            ),
            Invoice.client_id,
            client_id,
        )
    )
    start = max(earliest or handoff_on, handoff_on - timedelta(days=SALES_WINDOW_DAYS))
    return start, max((handoff_on - start).days, 1)


def _sales_stmt(client_id: int | None, start: date, end: date) -> sa.Select:
    """Invoiced amounts dated in [start, end): paid history and handed over alike."""
    return _scoped(
        sa.select(sa.func.coalesce(sa.func.sum(Invoice.amount_cents), 0)).where(
            Invoice.invoice_date >= start,
            Invoice.invoice_date < end,
            sa.or_(Invoice.paid_on.is_not(None), Invoice.case_id.is_not(None)),
        ),
        Invoice.client_id,
        client_id,
    )


def _receivable_changes(client_id: int | None, as_of: date) -> dict[date, int]:
    """How the receivables we know of changed, per day, up to `as_of`.

    A paid-history invoice is receivable from its invoice date to its paid date. A handed-over
    invoice is receivable from its invoice date for the principal handed over; from then on
    the ledger says how much of it is left: what was allocated to its principal (payments,
    credit notes, write-offs) is no longer receivable from the day it was booked, and a
    reversal or an upward adjustment of the principal changes it on its day. (The principal's
    own booking adds nothing here: the invoice was receivable already, the client's before
    the handoff and ours after.)
    """
    history = Invoice.paid_on.is_not(None)
    handed = (
        sa.select(Invoice.invoice_date, LedgerEntry.amount_cents)
        .join(Invoice, Invoice.id == LedgerEntry.invoice_id)
        .where(
            LedgerEntry.kind == EntryKind.PRINCIPAL,
            LedgerEntry.reverses_id.is_(None),
            LedgerEntry.booked_on <= as_of,
        )
    )
    corrections = sa.select(LedgerEntry.booked_on, LedgerEntry.amount_cents).where(
        sa.or_(
            sa.and_(LedgerEntry.kind == EntryKind.PRINCIPAL, LedgerEntry.reverses_id.is_not(None)),
            sa.and_(LedgerEntry.kind == EntryKind.ADJUSTMENT, LedgerEntry.amount_cents > 0),
        ),
        LedgerEntry.booked_on <= as_of,
    )
    parts = [
        _scoped(
            sa.select(Invoice.invoice_date.label("day"), Invoice.amount_cents.label("cents")).where(
                history
            ),
            Invoice.client_id,
            client_id,
        ),
        _scoped(
            sa.select(Invoice.paid_on, -Invoice.amount_cents).where(history),
            Invoice.client_id,
            client_id,
        ),
        _scoped(_scoped(handed, LedgerEntry.client_id, client_id), Invoice.client_id, client_id),
        _scoped(corrections, LedgerEntry.client_id, client_id),
        _principal_allocations(client_id, as_of, Allocation.booked_on, -Allocation.amount_cents),
    ]
    events = sa.union_all(*parts).subquery("receivable_events")
    rows = db.session.execute(
        sa.select(events.c.day, sa.func.sum(events.c.cents))
        .where(events.c.day <= as_of)
        .group_by(events.c.day)
    )
    return {day: _cents(total) for day, total in rows}


def _receivables_on(changes: dict[date, int], days: list[date]) -> dict[date, int]:
    """Receivables at the end of each of `days`, from the per-day changes."""
    ordered = sorted(changes.items())
    result, running, i = {}, 0, 0
    for day in sorted(days):
        while i < len(ordered) and ordered[i][0] <= day:
            running += ordered[i][1]
            i += 1
        result[day] = running
    return result


def _dso(receivable_cents: int, daily_sales: Decimal | None) -> Decimal | None:
    if not daily_sales:
        return None
    return (Decimal(receivable_cents) / daily_sales).quantize(Decimal("0.1"), ROUND_HALF_UP)


def _cash_per_month(client_id: int | None, as_of: date) -> list[MonthCash]:
    first = add_months(_month_start(as_of), -(TREND_MONTHS - 1))
    rows = db.session.execute(
        _scoped(
            sa.select(
                LedgerEntry.kind, LedgerEntry.booked_on, sa.func.sum(LedgerEntry.amount_cents)
            )
            .where(
                LedgerEntry.kind.in_([EntryKind.PAYMENT, EntryKind.DIRECT_PAYMENT]),
                LedgerEntry.booked_on >= first,
                LedgerEntry.booked_on <= as_of,
            )
            .group_by(LedgerEntry.kind, LedgerEntry.booked_on),
            LedgerEntry.client_id,
            client_id,
        )
    )
    per_month: dict[tuple[date, EntryKind], int] = defaultdict(int)
    for kind, day, total in rows:
        per_month[(_month_start(day), kind)] -= _cents(total)
    months = [add_months(first, i) for i in range(TREND_MONTHS)]
    return [
        MonthCash(m, per_month[(m, EntryKind.PAYMENT)], per_month[(m, EntryKind.DIRECT_PAYMENT)])
        for m in months
    ]


def _by_status(client_id: int | None, as_of: date) -> dict[str, int]:
    """Cases opened by `as_of` per status; for a past day, cases closed since count as open."""
    rows = db.session.execute(
        _scoped(
            sa.select(
                Case.status,
                sa.func.count(),
                sa.func.sum(sa.case((Case.closed_on > as_of, 1), else_=0)),
            )
            .where(Case.opened_on <= as_of)
            .group_by(Case.status),
            Case.client_id,
            client_id,
        )
    )
    counts = {s.value: 0 for s in CaseStatus}
    for status, n, closed_later in rows:
        closed_later = int(closed_later or 0)
        counts[status.value] += int(n) - closed_later
        if closed_later:
            counts.setdefault("open", 0)
            counts["open"] += closed_later
    return counts


def _promises(client_id: int | None, as_of: date) -> dict[str, Amount]:
    settled = sa.and_(Promise.settled_on.is_not(None), Promise.settled_on <= as_of)
    outcome = sa.case(
        (sa.and_(Promise.status == PromiseStatus.KEPT, settled), "kept"),
        (sa.and_(Promise.status == PromiseStatus.BROKEN, settled), "broken"),
        (sa.and_(Promise.status == PromiseStatus.CANCELLED, settled), "cancelled"),
        else_="open",
    )
    rows = db.session.execute(
        _scoped(
            sa.select(outcome, sa.func.sum(Promise.amount_cents), sa.func.count())
            .where(Promise.made_on <= as_of)
            .group_by(outcome),
            Promise.client_id,
            client_id,
        )
    )
    found = {key: Amount(_cents(total), int(n)) for key, total, n in rows}
    return {key: found.get(key, Amount(0, 0)) for key in ("kept", "broken", "open")}


def _inflow(client_id: int | None, as_of: date) -> list[InflowWeek]:
    first_monday = as_of - timedelta(days=as_of.weekday())
    end = first_monday + timedelta(weeks=INFLOW_WEEKS)
    promises = db.session.execute(
        _scoped(
            sa.select(Promise.promised_on, sa.func.sum(Promise.amount_cents - Promise.paid_cents))
            .where(Promise.status == PromiseStatus.OPEN, Promise.promised_on < end)
            .group_by(Promise.promised_on),
            Promise.client_id,
            client_id,
        )
    )
    instalments = db.session.execute(
        _scoped(
            sa.select(Instalment.due_on, sa.func.sum(Instalment.amount_cents))
            .join(Arrangement, Arrangement.id == Instalment.arrangement_id)
            .where(
                Arrangement.status == ArrangementStatus.ACTIVE,
                Instalment.status == InstalmentStatus.OPEN,
                Instalment.due_on < end,
            )
            .group_by(Instalment.due_on),
            Arrangement.client_id,
            client_id,
        )
    )

    def week_of(day: date) -> int:
        return max((day - first_monday).days, 0) // 7

    weeks: dict[tuple[int, str], int] = defaultdict(int)
    for day, total in promises:
        weeks[(week_of(day), "p")] += _cents(total)
    for day, total in instalments:
        weeks[(week_of(day), "i")] += _cents(total)
    return [
        InflowWeek(first_monday + timedelta(weeks=w), weeks[(w, "p")], weeks[(w, "i")])
        for w in range(INFLOW_WEEKS)
    ]


def _term_debtors(
    client_id: int | None, as_of: date, window: tuple[date, int] | None
) -> list[TermDebtor]:
    """The latest agreement per debtor, with the working capital it should free."""
    PTA = PaymentTermAgreement
    latest = _scoped(
        sa.select(sa.func.max(PTA.id)).where(PTA.agreed_on <= as_of).group_by(PTA.debtor_id),
        PTA.client_id,
        client_id,
    )
    # Plain rows, not ORM objects: a large client has thousands of these.
    agreements = db.session.execute(
        sa.select(
            PTA.debtor_id, PTA.case_id, Debtor.name, PTA.old_days, PTA.new_days, PTA.agreed_on
        )
        .join(Debtor, Debtor.id == PTA.debtor_id)
        .where(PTA.id.in_(latest))
        .order_by(PTA.agreed_on.desc(), PTA.id.desc())
    ).all()
    if not agreements:
        return []
    sales: dict[int, int] = {}
    if window is not None:
        start, days = window
        end = start + timedelta(days=days)
        sales = dict(
            db.session.execute(
                _scoped(
                    sa.select(Invoice.debtor_id, sa.func.sum(Invoice.amount_cents))
                    .where(
                        Invoice.debtor_id.in_(sa.select(PTA.debtor_id).where(PTA.id.in_(latest))),
                        Invoice.invoice_date >= start,
                        Invoice.invoice_date < end,
                        sa.or_(Invoice.paid_on.is_not(None), Invoice.case_id.is_not(None)),
                    )
                    .group_by(Invoice.debtor_id),
                    Invoice.client_id,
                    client_id,
                )
            ).all()
        )
    result = []
    for debtor_id, case_id, name, old_days, new_days, agreed_on in agreements:
        daily = (
            Decimal(_cents(sales.get(debtor_id))) / window[1] if window else Decimal(0)
        ).quantize(Decimal("0.01"), ROUND_HALF_UP)
        result.append(
            TermDebtor(
                debtor_id=debtor_id,
                case_id=case_id,
                name=name,
                old_days=old_days,
                new_days=new_days,
                agreed_on=agreed_on,
                daily_sales_cents=daily,
                released_cents=round_cents(max(old_days - new_days, 0) * daily),
            )
        )
    return result


def trend_days(as_of: date) -> list[date]:
    """The days of the DSO trend: the last day of each of the 12 months, the last being as_of."""
    this_month = _month_start(as_of)
    days = [month_end(add_months(this_month, -i)) for i in range(TREND_MONTHS - 1, 0, -1)]
    return [*days, as_of]


@dataclass(frozen=True)
class _Dso:
    window: tuple[date, int] | None  # the sales window: first day and number of days
    daily_sales: Decimal | None
    before: Decimal | None
    now: Decimal | None
    released_cents: int
    trend: list[DsoPoint]


def _dso_figures(client_id: int | None, as_of: date) -> _Dso:
    """Invoicing per day, DSO on the first handoff's day and now, and the monthly trend."""
    days = trend_days(as_of)
    handoff_on = first_handoff_on(client_id)
    if handoff_on is None or handoff_on > as_of:
        return _Dso(None, None, None, None, 0, [DsoPoint(day, None) for day in days])
    window = _sales_window(client_id, handoff_on)
    start, n_days = window
    sales = _cents(db.session.scalar(_sales_stmt(client_id, start, handoff_on)))
    daily_sales = (Decimal(sales) / n_days).quantize(Decimal("0.01"), ROUND_HALF_UP)
    receivables = _receivables_on(_receivable_changes(client_id, as_of), [*days, handoff_on])
    return _Dso(
        window=window,
        daily_sales=daily_sales,
        before=_dso(receivables[handoff_on], daily_sales),
        now=_dso(receivables[as_of], daily_sales),
        released_cents=receivables[handoff_on] - receivables[as_of] if daily_sales else 0,
        trend=[DsoPoint(day, _dso(receivables[day], daily_sales)) for day in days],
    )


def _no_jit() -> None:
    """Planning these aggregates is quick; PostgreSQL's JIT would spend more time compiling
    them (about 150 ms at a million invoices) than running them."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(sa.text("SET LOCAL jit = off"))


@contextmanager
def _hash_joins() -> Iterator[None]:
    """Join the open invoices to their invoices and cases by hashing (PostgreSQL).

    PostgreSQL cannot estimate how many invoices a grouping over a union of ledger entries
    and allocations leaves (it assumes 200 where a large client has tens of thousands), so it
    would look each one up in the invoices and the cases by index, one at a time: half as
    fast as reading the client's invoices and open cases once. For this statement only; when
    the statement fails, the transaction has ended and the setting with it.
    """
    postgres = db.session.get_bind().dialect.name == "postgresql"
    if postgres:
        db.session.execute(sa.text("SET LOCAL enable_nestloop = off"))
    yield
    if postgres:
        db.session.execute(sa.text("SET LOCAL enable_nestloop = on"))


def _alongside(work: Callable[[], _T]) -> Callable[[], _T]:
    """Start `work` on a database connection of its own; return a function that waits for it.

    On PostgreSQL the two halves of the dashboard run at once, each on a core of the server.
    Both read committed data, as each statement of the dashboard always has. Elsewhere (SQLite)
    the work runs when its result is asked for, in this session.
    """
    if db.session.get_bind().dialect.name != "postgresql":
        return work
    app = current_app._get_current_object()
    outcome: dict[str, object] = {}

    def run() -> None:
        with app.app_context():  # its own session, removed when the context ends
            try:
                _no_jit()
                outcome["result"] = work()
            except BaseException as exc:  # handed to the caller
                outcome["error"] = exc
            finally:
                db.session.rollback()

    thread = threading.Thread(target=run, name="dashboard-part", daemon=True)
    thread.start()

    def result() -> _T:
        thread.join()
        if "error" in outcome:
            raise outcome["error"]  # type: ignore[misc]
        return outcome["result"]  # type: ignore[return-value]

    return result


def chart_dashboard(client_id: int | None, name: str, as_of: date) -> Dashboard:
    """A dashboard holding only what chart `name` draws (charts.CHARTS); the rest is empty.

    A page shows four charts, each its own request: each computes its own part rather than
    the whole dashboard again.
    """
    _no_jit()
    empty = Dashboard.empty(client_id, as_of)
    if name == "cash":
        return replace(empty, cash_per_month=_cash_per_month(client_id, as_of))
    if name == "aging":
        return replace(empty, aging=_aging(client_id, as_of))
    if name == "dso":
        dso = _dso_figures(client_id, as_of)
        return replace(empty, dso_before=dso.before, dso_now=dso.now, dso_trend=dso.trend)
    if name == "inflow":
        return replace(empty, inflow=_inflow(client_id, as_of))
    raise KeyError(name)


def _first_half(client_id: int | None, as_of: date) -> tuple:
    return (
        _entry_totals(client_id, as_of),
        _principal_allocated(client_id, as_of),
        _handed_over(client_id, as_of),
        _aging(client_id, as_of),
        _outstanding(client_id, as_of),
    )


def dashboard(client_id: int | None, as_of: date) -> Dashboard:
    """Compute every figure of the dashboard for one client (or all clients) as of a day.

    The DSO, the shorter terms, the promises, the inflow, the statuses and the cash per month
    are computed alongside the rest (`_alongside`).
    """

    def second_half() -> tuple:
        dso = _dso_figures(client_id, as_of)
        return (
            dso,
            _term_debtors(client_id, as_of, dso.window),
            _promises(client_id, as_of),
            _inflow(client_id, as_of),
            _by_status(client_id, as_of),
            _cash_per_month(client_id, as_of),
        )

    _no_jit()
    waiting = _alongside(second_half)
    try:
        first_half = _first_half(client_id, as_of)
    finally:
        dso, terms, promises, inflow, by_status, cash_per_month = waiting()
    totals, allocated, (invoices_handed, cases_handed), aging, outstanding = first_half
    handed_cents = totals.get(EntryKind.PRINCIPAL, (0, 0))[0]
    collected_principal = allocated.get(EntryKind.PAYMENT, 0) + allocated.get(
        EntryKind.DIRECT_PAYMENT, 0
    )
    credited = allocated.get(EntryKind.CREDIT_NOTE, 0) + allocated.get(EntryKind.ADJUSTMENT, 0)
    net_claim = handed_cents - credited
    daily_sales = dso.daily_sales
    term_released = sum(t.released_cents for t in terms)
    payment = totals.get(EntryKind.PAYMENT, (0, 0))
    direct = totals.get(EntryKind.DIRECT_PAYMENT, (0, 0))
    return Dashboard(
        client_id=client_id,
        as_of=as_of,
        handed_over=Amount(handed_cents, invoices_handed),
        cases_handed_over=cases_handed,
        collected_agency=Amount(-payment[0], payment[1]),
        collected_direct=Amount(-direct[0], direct[1]),
        collected_principal_cents=collected_principal,
        credited_cents=credited,
        outstanding=outstanding,
        outstanding_principal_cents=sum(b.cents for b in aging),
        recovery_rate=(
            (Decimal(collected_principal) / net_claim).quantize(Decimal("0.0001"))
            if net_claim > 0
            else None
        ),
        aging=aging,
        daily_sales_cents=daily_sales,
        dso_before=dso.before,
        dso_now=dso.now,
        working_capital_released_cents=dso.released_cents,
        dso_trend=dso.trend,
        cash_per_month=cash_per_month,
        by_status=by_status,
        promises_kept=promises["kept"],
        promises_broken=promises["broken"],
        promises_open=promises["open"],
        inflow=inflow,
        term_debtors=terms,
        term_dso_effect_days=(
            (Decimal(term_released) / daily_sales).quantize(Decimal("0.1"), ROUND_HALF_UP)
            if daily_sales and terms
            else None
        ),
        term_released_cents=term_released,
    )


# --- drill-down: the cases behind a figure --------------------------------------------------

DRILL_DOWNS = (
    "handed_over",
    "collected",
    "collected_agency",
    "collected_direct",
    "outstanding",
    *(f"aging_{key}" for key, _, _ in AGING_BUCKETS),
    "promises_kept",
    "promises_broken",
    "promises_open",
    "inflow",
    "terms",
)


def _cases_with_entries(client_id: int | None, as_of: date, *kinds: EntryKind) -> sa.Select:
    return _scoped(
        sa.select(LedgerEntry.case_id).where(
            LedgerEntry.kind.in_(kinds), LedgerEntry.booked_on <= as_of
        ),
        LedgerEntry.client_id,
        client_id,
    )


def _promise_cases(client_id: int | None, as_of: date, outcome: str) -> sa.Select:
    settled = sa.and_(Promise.settled_on.is_not(None), Promise.settled_on <= as_of)
    condition = {
        "kept": sa.and_(Promise.status == PromiseStatus.KEPT, settled),
        "broken": sa.and_(Promise.status == PromiseStatus.BROKEN, settled),
        "open": sa.not_(
            sa.and_(
                Promise.status.in_(
                    [PromiseStatus.KEPT, PromiseStatus.BROKEN, PromiseStatus.CANCELLED]
                ),
                settled,
            )
        ),
    }[outcome]
    return _scoped(
        sa.select(Promise.case_id).where(Promise.made_on <= as_of, condition),
        Promise.client_id,
        client_id,
    )


def figure_case_ids(client_id: int | None, figure: str, as_of: date) -> sa.Select:
    """The ids of the cases behind a figure of the dashboard (one of DRILL_DOWNS)."""
    if figure == "handed_over":
        return _cases_with_entries(client_id, as_of, EntryKind.PRINCIPAL)
    if figure == "collected":
        return _cases_with_entries(client_id, as_of, EntryKind.PAYMENT, EntryKind.DIRECT_PAYMENT)
    if figure == "collected_agency":
        return _cases_with_entries(client_id, as_of, EntryKind.PAYMENT)
    if figure == "collected_direct":
        return _cases_with_entries(client_id, as_of, EntryKind.DIRECT_PAYMENT)
    if figure == "outstanding":
        return _scoped(sa.select(Case.id).where(_open_at(as_of)), Case.client_id, client_id)
    if figure.startswith("aging_"):
        buckets = {key: (low, high) for key, low, high in AGING_BUCKETS}
        low, high = buckets[figure.removeprefix("aging_")]
        open_invoices = _open_invoices(client_id, as_of)
        stmt = sa.select(open_invoices.c.case_id)
        if low > 0:
            stmt = stmt.where(open_invoices.c.due_date <= as_of - timedelta(days=low))
        if high is not None:
            stmt = stmt.where(open_invoices.c.due_date >= as_of - timedelta(days=high))
        return stmt
    if figure.startswith("promises_"):
        return _promise_cases(client_id, as_of, figure.removeprefix("promises_"))
    if figure == "inflow":
        end = as_of - timedelta(days=as_of.weekday()) + timedelta(weeks=INFLOW_WEEKS)
        promised = _scoped(
            sa.select(Promise.case_id).where(
                Promise.status == PromiseStatus.OPEN, Promise.promised_on < end
            ),
            Promise.client_id,
            client_id,
        )
        arranged = _scoped(
            sa.select(Arrangement.case_id)
            .join(Instalment, Instalment.arrangement_id == Arrangement.id)
            .where(
                Arrangement.status == ArrangementStatus.ACTIVE,
                Instalment.status == InstalmentStatus.OPEN,
                Instalment.due_on < end,
            ),
            Arrangement.client_id,
            client_id,
        )
        return sa.union(promised, arranged)
    if figure == "terms":
        return _scoped(
            sa.select(PaymentTermAgreement.case_id).where(PaymentTermAgreement.agreed_on <= as_of),
            PaymentTermAgreement.client_id,
            client_id,
        )
    raise KeyError(figure)


# --- the agency's own view: per client and per agent ----------------------------------------


@dataclass(frozen=True)
class ClientLine:
    client_id: int
    name: str
    handed_over_cents: int
    collected_cents: int  # by us and directly
    collected_principal_cents: int
    credited_cents: int
    outstanding_cents: int
    open_cases: int

    @property
    def recovery_rate(self) -> Decimal | None:
        claim = self.handed_over_cents - self.credited_cents
        return (
            (Decimal(self.collected_principal_cents) / claim).quantize(Decimal("0.0001"))
            if (claim > 0)
            else None
        )


def client_lines(as_of: date) -> list[ClientLine]:
    """The headline figures of every client, in a handful of grouped queries."""
    sums: dict[tuple[int, EntryKind], int] = defaultdict(int)
    for client_id, kind, total in db.session.execute(
        sa.select(LedgerEntry.client_id, LedgerEntry.kind, sa.func.sum(LedgerEntry.amount_cents))
        .where(LedgerEntry.booked_on <= as_of)
        .group_by(LedgerEntry.client_id, LedgerEntry.kind)
    ):
        sums[(client_id, kind)] = _cents(total)
    principal: dict[tuple[int, EntryKind], int] = defaultdict(int)
    for client_id, kind, total in db.session.execute(
        sa.select(LedgerEntry.client_id, LedgerEntry.kind, sa.func.sum(Allocation.amount_cents))
        .join(LedgerEntry, LedgerEntry.id == Allocation.entry_id)
        .where(Allocation.component == Component.PRINCIPAL, LedgerEntry.booked_on <= as_of)
        .group_by(LedgerEntry.client_id, LedgerEntry.kind)
    ):
        principal[(client_id, kind)] = _cents(total)
    outstanding = {
        client_id: (_cents(total), 0)
        for client_id, total in db.session.execute(
            sa.select(Case.client_id, sa.func.sum(LedgerEntry.amount_cents))
            .join(Case, Case.id == LedgerEntry.case_id)
            .where(_open_at(as_of), LedgerEntry.booked_on <= as_of)
            .group_by(Case.client_id)
        )
    }
    open_cases = dict(
        db.session.execute(
            sa.select(Case.client_id, sa.func.count())
            .where(_open_at(as_of))
            .group_by(Case.client_id)
        ).all()
    )
    lines = []
    for client in db.session.scalars(sa.select(Client).order_by(Client.name)):
        c = client.id
        lines.append(
            ClientLine(
                client_id=c,
                name=client.name,
                handed_over_cents=sums[(c, EntryKind.PRINCIPAL)],
                collected_cents=-(
                    sums[(c, EntryKind.PAYMENT)] + sums[(c, EntryKind.DIRECT_PAYMENT)]
                ),
                collected_principal_cents=principal[(c, EntryKind.PAYMENT)]
                + principal[(c, EntryKind.DIRECT_PAYMENT)],
                credited_cents=principal[(c, EntryKind.CREDIT_NOTE)]
                + principal[(c, EntryKind.ADJUSTMENT)],
                outstanding_cents=outstanding.get(c, (0, 0))[0],
                open_cases=int(open_cases.get(c, 0)),
            )
        )
    return lines


@dataclass(frozen=True)
class AgentLine:
    agent_id: int
    name: str
    collected_cents: int  # on the cases assigned to the agent, booked in the period
    promises_made: int
    promises_kept: int
    promises_broken: int
    contacts: int
    working_days: int

    @property
    def contacts_per_day(self) -> Decimal:
        if not self.working_days:
            return Decimal(0)
        return (Decimal(self.contacts) / self.working_days).quantize(Decimal("0.1"), ROUND_HALF_UP)

    @property
    def promise_kept_rate(self) -> Decimal | None:
        decided = self.promises_kept + self.promises_broken
        return Decimal(self.promises_kept) / decided if decided else None


def working_days(start: date, end: date) -> int:
    """Monday to Friday from start to end inclusive (public holidays are not deducted)."""
    return sum(1 for i in range((end - start).days + 1) if (start + timedelta(i)).weekday() < 5)


def agent_lines(start: date, end: date) -> list[AgentLine]:
    """What each agent did from start to end inclusive."""
    from agency.auth.models import Role, User
    from agency.contact_log.models import ContactEntry

    collected = dict(
        db.session.execute(
            sa.select(Case.assigned_agent_id, -sa.func.sum(LedgerEntry.amount_cents))
            .join(Case, Case.id == LedgerEntry.case_id)
            .where(
                LedgerEntry.kind.in_([EntryKind.PAYMENT, EntryKind.DIRECT_PAYMENT]),
                LedgerEntry.booked_on.between(start, end),
                Case.assigned_agent_id.is_not(None),
            )
            .group_by(Case.assigned_agent_id)
        ).all()
    )
    made = dict(
        db.session.execute(
            sa.select(Promise.created_by_id, sa.func.count())
            .where(Promise.made_on.between(start, end))
            .group_by(Promise.created_by_id)
        ).all()
    )
    settled: dict[tuple[int, PromiseStatus], int] = dict(
        ((agent, status), n)
        for agent, status, n in db.session.execute(
            sa.select(Promise.created_by_id, Promise.status, sa.func.count())
            .where(Promise.settled_on.between(start, end))
            .group_by(Promise.created_by_id, Promise.status)
        )
    )
    since = datetime.combine(start, time.min, tzinfo=UTC)
    until = datetime.combine(end + timedelta(days=1), time.min, tzinfo=UTC)
    contacts = dict(
        db.session.execute(
            sa.select(ContactEntry.agent_id, sa.func.count())
            .where(ContactEntry.occurred_at >= since, ContactEntry.occurred_at < until)
            .group_by(ContactEntry.agent_id)
        ).all()
    )
    days = working_days(start, end)
    agents = db.session.scalars(
        sa.select(User)
        .where(User.role.in_([Role.AGENT, Role.SUPERVISOR]), User.is_active_user.is_(True))
        .order_by(User.name)
    )
    return [
        AgentLine(
            agent_id=u.id,
            name=u.name,
            collected_cents=_cents(collected.get(u.id)),
            promises_made=int(made.get(u.id, 0)),
            promises_kept=int(settled.get((u.id, PromiseStatus.KEPT), 0)),
            promises_broken=int(settled.get((u.id, PromiseStatus.BROKEN), 0)),
            contacts=int(contacts.get(u.id, 0)),
            working_days=days,
        )
        for u in agents
    ]
