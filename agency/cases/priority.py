"""The priority score that ranks the work queues.

A case's score is the sum of six parts, each capped so that no single one drowns the others.
Higher means "call this one first"; cases with equal scores go by next-action date, earliest
first, then by id.

- open balance: 1 point per full €25 still owed (the ledger total), at most 300 (€7,500).
  More money back per call.
- days overdue: 1 point per day since the oldest due date of the case's invoices, at most 200.
  Old debt gets harder to collect every day.
- broken promises: 100 points per promise or payment plan the debtor broke (on any case), at
  most 300. A broken word needs a call at once.
- days since last contact: 2 points per day since the last contact entry (or since the case
  opened), at most 120. Nobody should be forgotten.
- payment history: 1 point per day the debtor was late on average on the invoices paid before
  the handoff, at most 60. Habitual late payers need an early nudge.
- client priority: 50 points per level of the client's contract priority, at most 200 (four
  levels). The agency's commitments to its clients.

The score is stored on the case (`Case.priority_score`) so the queues can walk an index page by
page. `refresh_priorities` recomputes it: the workbench's operations call it for the case they
changed, and a periodic job (agency/cases/tasks.py) recomputes every open case, because days
overdue and days since last contact grow by themselves.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime

import sqlalchemy as sa

from agency.cases.models import CLOSED_STATUSES, Case, Invoice
from agency.clients.models import Client
from agency.extensions import db
from agency.ledger.models import LedgerEntry
from agency.modeling import AGENCY_TZ

BALANCE_CENTS_PER_POINT = 25_00
BALANCE_CAP = 300
OVERDUE_CAP = 200
BROKEN_PROMISE_POINTS = 100
BROKEN_PROMISE_CAP = 300
NO_CONTACT_POINTS_PER_DAY = 2
NO_CONTACT_CAP = 120
LATE_PAYER_CAP = 60
CLIENT_PRIORITY_POINTS = 50
CLIENT_PRIORITY_CAP = 200
# Up to this many cases are updated as objects (the session sees them); more in bulk.
SMALL_REFRESH = 200


@dataclass(frozen=True)
class PriorityFacts:
    """What the score of one case is computed from."""

    balance_cents: int
    days_overdue: int
    broken_promises: int
    days_since_contact: int
    average_days_late: int
    client_priority: int


def priority_score(facts: PriorityFacts) -> int:
    """Return the documented score of a case from its facts (see the module docstring)."""
    return (
        min(BALANCE_CAP, max(0, facts.balance_cents) // BALANCE_CENTS_PER_POINT)
        + min(OVERDUE_CAP, max(0, facts.days_overdue))
        + min(BROKEN_PROMISE_CAP, BROKEN_PROMISE_POINTS * max(0, facts.broken_promises))
        + min(NO_CONTACT_CAP, NO_CONTACT_POINTS_PER_DAY * max(0, facts.days_since_contact))
        + min(LATE_PAYER_CAP, max(0, facts.average_days_late))
        + min(CLIENT_PRIORITY_CAP, CLIENT_PRIORITY_POINTS * max(0, facts.client_priority))
    )


def _in(column, ids: list[int] | None):
    return sa.true() if ids is None else column.in_(ids)


def _days_late_expression():
    if db.engine.dialect.name == "sqlite":
        return sa.func.julianday(Invoice.paid_on) - sa.func.julianday(Invoice.due_date)
    return Invoice.paid_on - Invoice.due_date


def _local_day(moment: datetime) -> date:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(AGENCY_TZ).date()


def case_facts(case_ids: Iterable[int] | None, today: date) -> dict[int, PriorityFacts]:
    """Gather the priority facts of the given open cases (all open cases when None)."""
    from agency.contact_log.models import (
        Arrangement,
        ArrangementStatus,
        ContactEntry,
        Promise,
        PromiseStatus,
    )

    ids = None if case_ids is None else list(case_ids)
    cases = db.session.execute(
        sa.select(Case.id, Case.debtor_id, Case.opened_on, Client.priority)
        .join(Client, Client.id == Case.client_id)
        .where(_in(Case.id, ids), Case.status.not_in(list(CLOSED_STATUSES)))
    ).all()
    if not cases:
        return {}
    ids = [c.id for c in cases] if ids is not None else None
    debtor_ids = None if ids is None else sorted({c.debtor_id for c in cases})
    balances = dict(
        db.session.execute(
            sa.select(LedgerEntry.case_id, sa.func.sum(LedgerEntry.amount_cents))
            .where(_in(LedgerEntry.case_id, ids))
            .group_by(LedgerEntry.case_id)
        ).all()
    )
    oldest_due = dict(
        db.session.execute(
            sa.select(Invoice.case_id, sa.func.min(Invoice.due_date))
            .where(_in(Invoice.case_id, ids), Invoice.case_id.is_not(None))
            .group_by(Invoice.case_id)
        ).all()
    )
    broken: dict[int, int] = {}
    for model, status in (
        (Promise, PromiseStatus.BROKEN),
        (Arrangement, ArrangementStatus.BROKEN),
    ):
        for debtor_id, count in db.session.execute(
            sa.select(model.debtor_id, sa.func.count())
            .where(_in(model.debtor_id, debtor_ids), model.status == status)
            .group_by(model.debtor_id)
        ):
            broken[debtor_id] = broken.get(debtor_id, 0) + int(count)
    last_contact = dict(
        db.session.execute(
            sa.select(ContactEntry.case_id, sa.func.max(ContactEntry.occurred_at))
            .where(_in(ContactEntry.case_id, ids))
            .group_by(ContactEntry.case_id)
        ).all()
    )
    late = dict(
        db.session.execute(
            sa.select(Invoice.debtor_id, sa.func.avg(_days_late_expression()))
            .where(_in(Invoice.debtor_id, debtor_ids), Invoice.paid_on.is_not(None))
            .group_by(Invoice.debtor_id)
        ).all()
    )
    facts = {}
    for case_id, debtor_id, opened_on, client_priority in cases:
        contact = last_contact.get(case_id)
        contact_day = _local_day(contact) if contact is not None else opened_on
        due = oldest_due.get(case_id)
        average_late = late.get(debtor_id)
        facts[case_id] = PriorityFacts(
            balance_cents=int(balances.get(case_id) or 0),
            days_overdue=(today - due).days if due else 0,
            broken_promises=broken.get(debtor_id, 0),
            days_since_contact=(today - contact_day).days,
            average_days_late=int(average_late) if average_late is not None else 0,
            client_priority=int(client_priority or 0),
        )
    return facts


def refresh_priorities(case_ids: Iterable[int] | None, today: date) -> int:
    """Recompute and store the score of the given open cases (all when None); return how many
    scores changed. Flushes, never commits."""
    db.session.flush()
    facts = case_facts(case_ids, today)
    if not facts:
        return 0
    if len(facts) <= SMALL_REFRESH:
        changed = 0
        for case_id, f in facts.items():
            case = db.session.get(Case, case_id)
            score = priority_score(f)
            if case is not None and case.priority_score != score:
                case.priority_score = score
                changed += 1
        return changed
    current = dict(
        db.session.execute(
            sa.select(Case.id, Case.priority_score).where(Case.status.not_in(list(CLOSED_STATUSES)))
        ).all()
    )
    changes = [
        {"id": case_id, "priority_score": score}
        for case_id, f in facts.items()
        if (score := priority_score(f)) != current.get(case_id)
    ]
    if changes:
        db.session.execute(sa.update(Case), changes)
    return len(changes)
