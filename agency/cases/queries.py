"""Reads about cases: interest rates, balances per case, lists."""

from __future__ import annotations

import enum
import time
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import sqlalchemy as sa
from flask import current_app, has_app_context

from agency.auth.models import Role, User
from agency.cases.models import Case, CaseStatus, Debtor, InterestKind, InterestRate, Invoice
from agency.clients.models import Client, Segment
from agency.extensions import db
from agency.ledger.models import EntryKind, LedgerEntry
from agency.ledger.queries import Balance, case_balance, invoice_open_principal


def interest_rates(kind: InterestKind | str) -> list[tuple[date, Decimal]]:
    """Return the (valid from, percent) rows of one kind of statutory interest, oldest first."""
    kind = InterestKind(kind)
    rows = db.session.execute(
        sa.select(InterestRate.valid_from, InterestRate.rate_pct)
        .where(InterestRate.kind == kind)
        .order_by(InterestRate.valid_from)
    )
    return [(valid_from, Decimal(rate)) for valid_from, rate in rows]


@dataclass(frozen=True)
class CaseRow:
    """A line of a case list."""

    id: int
    reference: str
    client_name: str
    debtor_name: str
    status: CaseStatus
    segment: str
    next_action_on: date | None
    balance_cents: int
    agent_name: str | None


def _balance_subquery():
    return (
        sa.select(LedgerEntry.case_id, sa.func.sum(LedgerEntry.amount_cents).label("balance"))
        .group_by(LedgerEntry.case_id)
        .subquery()
    )


def case_rows(
    *,
    client_id: int | None = None,
    status: CaseStatus | None = None,
    search: str | None = None,
    assigned_to: int | None = None,
    open_only: bool = False,
    after_id: int | None = None,
    case_ids: sa.Select | None = None,
    limit: int | None = 50,
) -> list[CaseRow]:
    """List cases newest first, optionally for one client, one status or a name/reference search.

    `case_ids` narrows the list to the cases a statement selects (a report's drill-down).
    Keyset pagination: pass the last row's id as `after_id` for the next page; `limit=None`
    lists all (exports).
    """
    balances = _balance_subquery()
    stmt = (
        sa.select(
            Case.id,
            Case.reference,
            Client.name,
            Debtor.name,
            Case.status,
            Case.segment,
            Case.next_action_on,
            sa.func.coalesce(balances.c.balance, 0),
            User.name,
        )
        .join(Client, Client.id == Case.client_id)
        .join(Debtor, Debtor.id == Case.debtor_id)
        .outerjoin(balances, balances.c.case_id == Case.id)
        .outerjoin(User, User.id == Case.assigned_agent_id)
        .order_by(Case.id.desc())
        .limit(limit)
    )
    if client_id is not None:
        stmt = stmt.where(Case.client_id == client_id)
    if status is not None:
        stmt = stmt.where(Case.status == status)
    if assigned_to is not None:
        stmt = stmt.where(Case.assigned_agent_id == assigned_to)
    if open_only:
        stmt = stmt.where(Case.closed_on.is_(None))
    if search:
        like = f"%{search.strip().lower()}%"
        stmt = stmt.where(sa.or_(sa.func.lower(Debtor.name).like(like), Case.reference.like(like)))
    if after_id is not None:
        stmt = stmt.where(Case.id < after_id)
    if case_ids is not None:
        stmt = stmt.where(Case.id.in_(case_ids))
    return [
        CaseRow(
            id=r[0],
            reference=r[1],
            client_name=r[2],
            debtor_name=r[3],
            status=r[4],
            segment=r[5].value,
            next_action_on=r[6],
            balance_cents=int(r[7]),
            agent_name=r[8],
        )
        for r in db.session.execute(stmt)
    ]


@dataclass(frozen=True)
class Overview:
    """Counts and sums for a home page."""

    open_cases: int
    open_balance_cents: int
    by_status: dict[CaseStatus, int]
    handed_over_cents: int
    collected_cents: int


def overview(client_id: int | None = None) -> Overview:
    """Summarise the cases of one client, or of all clients."""
    counts_stmt = sa.select(Case.status, sa.func.count()).group_by(Case.status)
    if client_id is not None:
        counts_stmt = counts_stmt.where(Case.client_id == client_id)
    by_status = {status: int(n) for status, n in db.session.execute(counts_stmt)}

    def ledger_sum(*conditions) -> int:
        stmt = sa.select(sa.func.coalesce(sa.func.sum(LedgerEntry.amount_cents), 0)).join(
            Case, Case.id == LedgerEntry.case_id
        )
        if client_id is not None:
            stmt = stmt.where(LedgerEntry.client_id == client_id)
        return int(db.session.scalar(stmt.where(*conditions)))

    open_statuses = [s for s in CaseStatus if not s.is_closed]
    return Overview(
        open_cases=sum(n for s, n in by_status.items() if not s.is_closed),
        open_balance_cents=ledger_sum(Case.status.in_(open_statuses)),
        by_status=by_status,
        handed_over_cents=ledger_sum(LedgerEntry.kind == EntryKind.PRINCIPAL),
        collected_cents=-ledger_sum(
            LedgerEntry.kind.in_([EntryKind.PAYMENT, EntryKind.DIRECT_PAYMENT])
        ),
    )


@dataclass(frozen=True)
class CaseSheet:
    """Everything a case page shows besides the case itself."""

    balance: Balance
    invoices: list[Invoice]
    open_principal: dict[int, int]
    entries: list[LedgerEntry]
    history: list[Invoice]


def case_sheet(case: Case) -> CaseSheet:
    """Collect the balance, invoices, ledger and payment history of a case."""
    return CaseSheet(
        balance=case_balance(case.id),
        invoices=case_invoices(case.id),
        open_principal=invoice_open_principal(case.id),
        entries=case_entries(case.id),
        history=payment_history(case.debtor_id),
    )


def case_invoices(case_id: int) -> list[Invoice]:
    """Return the invoices of a case, oldest due first."""
    return list(
        db.session.scalars(
            sa.select(Invoice).where(Invoice.case_id == case_id).order_by(Invoice.due_date)
        )
    )


def case_entries(case_id: int) -> list[LedgerEntry]:
    """Return the ledger entries of a case, newest first."""
    return list(
        db.session.scalars(
            sa.select(LedgerEntry)
            .where(LedgerEntry.case_id == case_id)
            .order_by(LedgerEntry.booked_on.desc(), LedgerEntry.id.desc())
        )
    )


def payment_history(debtor_id: int) -> list[Invoice]:
    """Return the debtor's historic, already-paid invoices, newest first."""
    return list(
        db.session.scalars(
            sa.select(Invoice)
            .where(Invoice.debtor_id == debtor_id, Invoice.paid_on.is_not(None))
            .order_by(Invoice.invoice_date.desc())
        )
    )


# --- the work queues ---------------------------------------------------------------------------

# Cases waiting on something else (a promise, a plan, the client, a bailiff) leave the queues
# until that ends, unless the debtor asked for something on the payment page that a person must
# answer (an open debtor request); a status filter brings them back into view.
QUEUE_STATUSES = (CaseStatus.NEW, CaseStatus.DUNNING)


class QueueScope(enum.Enum):
    MINE = "mine"
    TEAM = "team"
    UNASSIGNED = "unassigned"


@dataclass(frozen=True)
class QueueFilters:
    """What narrows a queue; every field is optional."""

    client_id: int | None = None
    status: CaseStatus | None = None
    segment: Segment | None = None
    language: str | None = None
    min_cents: int | None = None
    max_cents: int | None = None
    due_only: bool = False
    agent_id: int | None = None  # team queue: one agent's cases


@dataclass(frozen=True)
class QueueCursor:
    """The keyset position after the last row of a page: score, next action, id."""

    score: int
    next_action_on: date | None
    id: int

    def encode(self) -> str:
        day = self.next_action_on.isoformat() if self.next_action_on else "-"
        return f"{self.score}_{day}_{self.id}"

    @classmethod
    def decode(cls, text: str) -> QueueCursor:
        """Read a cursor back; raise ValueError on anything else."""
        score, day, case_id = text.split("_")
        return cls(int(score), None if day == "-" else date.fromisoformat(day), int(case_id))


@dataclass(frozen=True)
class QueueRow:
    """A line of a work queue."""

    id: int
    reference: str
    client_name: str
    debtor_name: str
    language: str
    status: CaseStatus
    segment: str
    priority_score: int
    next_action_on: date | None
    balance_cents: int
    agent_name: str | None
    overdue: bool
    debtor_request: bool = False  # the debtor waits for an answer to a payment-page request

    @property
    def cursor(self) -> QueueCursor:
        return QueueCursor(self.priority_score, self.next_action_on, self.id)


def balance_column():
    """The ledger total of the case in the enclosing query, as a correlated subquery."""
    return (
        sa.select(sa.func.coalesce(sa.func.sum(LedgerEntry.amount_cents), 0))
        .where(LedgerEntry.case_id == Case.id)
        .correlate(Case)
        .scalar_subquery()
    )


def open_request_exists():
    """Whether the case in the enclosing query has an open debtor request."""
    from agency.paylink.models import DebtorRequest, RequestStatus

    return (
        sa.select(DebtorRequest.id)
        .where(DebtorRequest.case_id == Case.id, DebtorRequest.status == RequestStatus.OPEN)
        .correlate(Case)
        .exists()
    )


def _after(cursor: QueueCursor):
    """Rows after `cursor` in the order: score descending, next action ascending (empty last),
    id ascending."""
    if cursor.next_action_on is None:
        same_score = sa.and_(Case.next_action_on.is_(None), Case.id > cursor.id)
    else:
        same_score = sa.or_(
            Case.next_action_on > cursor.next_action_on,
            Case.next_action_on.is_(None),
            sa.and_(Case.next_action_on == cursor.next_action_on, Case.id > cursor.id),
        )
    # The first condition says nothing new; it lets the index start the page at the cursor.
    return sa.and_(
        Case.priority_score <= cursor.score,
        sa.or_(
            Case.priority_score < cursor.score,
            sa.and_(Case.priority_score == cursor.score, same_score),
        ),
    )


def queue_statement(
    scope: QueueScope,
    *,
    today: date,
    user_id: int | None = None,
    filters: QueueFilters = QueueFilters(),  # noqa: B008 - frozen, never changed
    after: QueueCursor | None = None,
    limit: int = 50,
) -> sa.Select:
    """Build the query of one page of a work queue (the columns of `QueueRow`, in order)."""
    balance = balance_column().label("balance")
    stmt = (
        sa.select(
            Case.id,
            Case.reference,
            Client.name,
            Debtor.name,
            Debtor.language,
            Case.status,
            Case.segment,
            Case.priority_score,
            Case.next_action_on,
            balance,
            User.name,
            open_request_exists().label("debtor_request"),
        )
        .join(Client, Client.id == Case.client_id)
        .join(Debtor, Debtor.id == Case.debtor_id)
        .outerjoin(User, User.id == Case.assigned_agent_id)
        .order_by(Case.priority_score.desc(), Case.next_action_on.asc().nulls_last(), Case.id)
        .limit(limit)
    )
    if scope is QueueScope.MINE:
        stmt = stmt.where(Case.assigned_agent_id == user_id)
    elif scope is QueueScope.UNASSIGNED:
        stmt = stmt.where(Case.assigned_agent_id.is_(None))
    else:
        stmt = stmt.where(Case.assigned_agent_id.is_not(None))
        if filters.agent_id is not None:
            stmt = stmt.where(Case.assigned_agent_id == filters.agent_id)
    if filters.status is not None:
        stmt = stmt.where(Case.status == filters.status)
    else:
        # A paused case whose debtor waits for an answer is in the queue too; the request's
        # points in the stored score rank it, so the keyset order stays the stored columns.
        paused = [s for s in CaseStatus if not s.is_closed and s not in QUEUE_STATUSES]
        stmt = stmt.where(
            sa.or_(
                Case.status.in_(QUEUE_STATUSES),
                sa.and_(Case.status.in_(paused), open_request_exists()),
            )
        )
    if filters.client_id is not None:
        stmt = stmt.where(Case.client_id == filters.client_id)
    if filters.segment is not None:
        stmt = stmt.where(Case.segment == filters.segment)
    if filters.language:
        stmt = stmt.where(Debtor.language == filters.language)
    if filters.min_cents is not None:
        stmt = stmt.where(balance_column() >= filters.min_cents)
    if filters.max_cents is not None:
        stmt = stmt.where(balance_column() <= filters.max_cents)
    if filters.due_only:
        stmt = stmt.where(Case.next_action_on <= today)
    if after is not None:
        stmt = stmt.where(_after(after))
    return stmt


def queue_rows(
    scope: QueueScope,
    *,
    today: date,
    user_id: int | None = None,
    filters: QueueFilters = QueueFilters(),  # noqa: B008 - frozen, never changed
    after: QueueCursor | None = None,
    limit: int = 50,
) -> list[QueueRow]:
    """Return one page of a work queue, highest priority first, then earliest next action.

    Keyset pagination: pass the last row's `cursor` as `after` for the next page; every page
    costs the same, however deep.
    """
    stmt = queue_statement(
        scope, today=today, user_id=user_id, filters=filters, after=after, limit=limit
    )
    return [
        QueueRow(
            id=r[0],
            reference=r[1],
            client_name=r[2],
            debtor_name=r[3],
            language=r[4],
            status=r[5],
            segment=r[6].value,
            priority_score=r[7],
            next_action_on=r[8],
            balance_cents=int(r[9]),
            agent_name=r[10],
            overdue=r[8] is not None and r[8] < today,
            debtor_request=bool(r[11]),
        )
        for r in db.session.execute(stmt)
    ]


def queue_case_ids(
    scope: QueueScope,
    *,
    today: date,
    filters: QueueFilters = QueueFilters(),  # noqa: B008
) -> list[tuple[int, int]]:
    """Return (case id, balance) of every case of a queue, in queue order (for distribution)."""
    rows: list[tuple[int, int]] = []
    after = None
    while True:
        page = queue_rows(scope, today=today, filters=filters, after=after, limit=1000)
        rows.extend((r.id, r.balance_cents) for r in page)
        if len(page) < 1000:
            return rows
        after = page[-1].cursor


# How long a process may show a list of client names that another process has since changed.
CLIENT_NAMES_SECONDS = 60.0


def client_names() -> list[tuple[int, str]]:
    """Return (id, name) of every client, by name: the client filter of the queues.

    Every queue page lists them, so each process keeps the list for up to
    CLIENT_NAMES_SECONDS; a client added, renamed or removed in this process drops it at once.
    """
    cached = current_app.extensions.get("agency.client_names")
    now = time.monotonic()
    if cached is not None and now - cached[0] < CLIENT_NAMES_SECONDS:
        return cached[1]
    names = [
        (client_id, name)
        for client_id, name in db.session.execute(
            sa.select(Client.id, Client.name).order_by(Client.name)
        )
    ]
    current_app.extensions["agency.client_names"] = (now, names)
    return names


@sa.event.listens_for(Client, "after_insert")
@sa.event.listens_for(Client, "after_update")
@sa.event.listens_for(Client, "after_delete")
def _forget_client_names(mapper, connection, target) -> None:
    if has_app_context():
        current_app.extensions.pop("agency.client_names", None)


def staff_agents() -> list[User]:
    """Return the active agents and supervisors who can be given cases, by name."""
    return list(
        db.session.scalars(
            sa.select(User)
            .where(User.role.in_([Role.AGENT, Role.SUPERVISOR]), User.is_active_user.is_(True))
            .order_by(User.name)
        )
    )


def open_load(agent_ids: list[int]) -> dict[int, tuple[int, int]]:
    """Return (open cases, open balance) per agent."""
    load = {agent_id: (0, 0) for agent_id in agent_ids}
    balances = (
        sa.select(LedgerEntry.case_id, sa.func.sum(LedgerEntry.amount_cents).label("balance"))
        .group_by(LedgerEntry.case_id)
        .subquery()
    )
    rows = db.session.execute(
        sa.select(
            Case.assigned_agent_id,
            sa.func.count(Case.id),
            sa.func.coalesce(sa.func.sum(balances.c.balance), 0),
        )
        .outerjoin(balances, balances.c.case_id == Case.id)
        .where(Case.assigned_agent_id.in_(agent_ids), Case.closed_on.is_(None))
        .group_by(Case.assigned_agent_id)
    )
    for agent_id, count, total in rows:
        load[agent_id] = (int(count), int(total))
    return load
