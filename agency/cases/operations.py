"""State changes of cases: opening, the status machine, pauses, re-evaluation after money moves."""

from __future__ import annotations

import enum
import secrets
from datetime import date

import sqlalchemy as sa

from agency import audit, bulk
from agency.auth.models import User
from agency.cases.models import CLOSED_STATUSES, Case, CaseStatus, Debtor
from agency.clients.models import Client, Segment
from agency.errors import AgencyError, IllegalTransition
from agency.extensions import db
from agency.modeling import utcnow

S = CaseStatus

# The case status machine (DESIGN.md): every move not listed here raises IllegalTransition.
TRANSITIONS: dict[CaseStatus, frozenset[CaseStatus]] = {
    S.NEW: frozenset(
        {
            S.DUNNING,
            S.PROMISED,
            S.ARRANGEMENT,
            S.DISPUTED,
            S.LEGAL,
            S.PAID,
            S.RETURNED,
            S.WRITTEN_OFF,
        }
    ),
    S.DUNNING: frozenset(
        {S.PROMISED, S.ARRANGEMENT, S.DISPUTED, S.LEGAL, S.PAID, S.RETURNED, S.WRITTEN_OFF}
    ),
    S.PROMISED: frozenset(
        {S.DUNNING, S.ARRANGEMENT, S.DISPUTED, S.LEGAL, S.PAID, S.RETURNED, S.WRITTEN_OFF}
    ),
    S.ARRANGEMENT: frozenset({S.DUNNING, S.DISPUTED, S.LEGAL, S.PAID, S.RETURNED, S.WRITTEN_OFF}),
    S.DISPUTED: frozenset({S.DUNNING, S.PAID, S.RETURNED, S.WRITTEN_OFF}),
    S.LEGAL: frozenset({S.DUNNING, S.PAID, S.RETURNED, S.WRITTEN_OFF}),
    # A reversed payment (a charge-back, a bounced transfer) reopens a paid case.
    S.PAID: frozenset({S.DUNNING}),
    S.RETURNED: frozenset(),
    S.WRITTEN_OFF: frozenset(),
}


class CaseError(AgencyError):
    """A case cannot be opened or changed as asked."""


REFERENCE_DIGITS = 16


def new_reference() -> str:
    """Return a payment reference: 14 random digits and 2 ISO 7064 mod 97-10 check digits.

    Sixteen digits, like a Dutch "betalingskenmerk"; the random space (10^14) keeps collisions
    rare even with millions of cases, and callers still make sure a reference is unused.
    """
    body = f"{secrets.randbelow(9 * 10**13) + 10**13}"
    check = 98 - (int(body) * 100) % 97
    return f"{body}{check:02d}"


def reference_is_valid(reference: str) -> bool:
    """Check the two check digits of a case reference (for matching bank transfers)."""
    digits = "".join(ch for ch in reference if ch.isdigit())
    return len(digits) == REFERENCE_DIGITS and int(digits) % 97 == 1


def unused_references(count: int) -> list[str]:
    """Return `count` distinct references that no case carries yet."""
    chosen: set[str] = set()
    while len(chosen) < count:
        batch = {new_reference() for _ in range(count - len(chosen))} - chosen
        taken = set()
        for chunk in _chunks(sorted(batch), 5000):
            taken.update(
                db.session.scalars(
                    sa.select(Case.reference).where(bulk.one_of(Case.reference, chunk))
                )
            )
        chosen |= batch - taken
    return list(chosen)


def _chunks(items: list[str], size: int):
    for i in range(0, len(items), size):
        yield items[i : i + size]


def open_case(
    client: Client,
    debtor: Debtor,
    *,
    opened_on: date,
    segment: Segment | None = None,
    actor: User | None = None,
) -> Case:
    """Open the debtor's case at this client; there is at most one open case per debtor."""
    if debtor.client_id != client.id:
        raise CaseError("the debtor belongs to another client")
    case = Case(
        client_id=client.id,
        debtor_id=debtor.id,
        reference=unused_references(1)[0],
        segment=segment or client.default_segment,
        status=CaseStatus.NEW,
        opened_on=opened_on,
        next_action_on=opened_on,
    )
    db.session.add(case)
    db.session.flush()
    audit.record("case.opened", case, actor=actor, reference=case.reference)
    return case


def transition(
    case: Case,
    target: CaseStatus,
    *,
    on: date,
    actor: User | None = None,
    reason: str | None = None,
) -> Case:
    """Move the case to `target`, or raise IllegalTransition when the machine does not allow it."""
    current = case.status
    if target not in TRANSITIONS[current]:
        raise IllegalTransition(current.value, target.value)
    case.status = target
    case.status_changed_at = utcnow()
    if target in CLOSED_STATUSES:
        case.closed_on = max(on, case.opened_on)
        case.paused_reason = None
        case.paused_until = None
    else:
        case.closed_on = None
    db.session.flush()
    audit.record(
        "case.status", case, actor=actor, old=current.value, new=target.value, reason=reason
    )
    return case


def pause(case: Case, reason: str, until: date | None, *, actor: User | None = None) -> Case:
    """Hold dunning on an open case for a reason, until a date or until resumed."""
    if not case.is_open:
        raise CaseError("a closed case cannot be paused")
    case.paused_reason = reason
    case.paused_until = until
    audit.record(
        "case.paused", case, actor=actor, reason=reason, until=until.isoformat() if until else None
    )
    return case


def resume(case: Case, *, actor: User | None = None) -> Case:
    """Lift the pause of a case."""
    if case.paused_reason is None:
        return case
    audit.record("case.resumed", case, actor=actor, reason=case.paused_reason)
    case.paused_reason = None
    case.paused_until = None
    return case


def re_evaluate(case: Case, *, on: date, actor: User | None = None) -> Case:
    """Close a case whose balance reached zero, or reopen a paid one that owes again."""
    from agency.ledger.queries import case_balance

    balance = case_balance(case.id)
    if case.is_open and balance.total <= 0:
        transition(case, CaseStatus.PAID, on=on, actor=actor, reason="balance settled")
    elif case.status is CaseStatus.PAID and balance.total > 0:
        transition(case, CaseStatus.DUNNING, on=on, actor=actor, reason="balance owed again")
    return case


# --- who works a case ----------------------------------------------------------------------------


class DistributionMethod(enum.Enum):
    COUNT = "count"  # even out the number of open cases per agent
    BALANCE = "balance"  # even out the open balance per agent


def assign(case: Case, agent: User | None, *, actor: User | None = None) -> Case:
    """Give the case to an agent (None: back to the unassigned queue)."""
    if not case.is_open:
        raise CaseError("a closed case is not assigned")
    if agent is not None and not agent.is_staff:
        raise CaseError("only agency staff work cases")
    old = case.assigned_agent_id
    new = agent.id if agent is not None else None
    if old != new:
        case.assigned_agent_id = new
        db.session.flush()
        audit.record("case.assigned", case, actor=actor, old=old, new=new)
    return case


def distribute(
    cases: list[tuple[int, int]],
    agents: list[User],
    method: DistributionMethod,
    *,
    load: dict[int, tuple[int, int]] | None = None,
    actor: User | None = None,
) -> dict[int, list[int]]:
    """Hand out cases, given as (case id, balance) in queue order, over the agents.

    By count, each case in turn goes to the agent with the fewest open cases; by balance, the
    largest balances go first, each to the agent with the lowest open balance. `load` is what
    every agent holds already (open cases, open balance). Returns the case ids per agent id.
    """
    if not agents:
        raise CaseError("choose at least one agent")
    held = {a.id: list((load or {}).get(a.id, (0, 0))) for a in agents}
    order = {a.id: i for i, a in enumerate(agents)}
    given: dict[int, list[int]] = {a.id: [] for a in agents}
    work = list(cases)
    if method is DistributionMethod.BALANCE:
        work.sort(key=lambda c: -c[1])
    for case_id, balance in work:
        if method is DistributionMethod.COUNT:
            agent_id = min(held, key=lambda a: (held[a][0], held[a][1], order[a]))
        else:
            agent_id = min(held, key=lambda a: (held[a][1], held[a][0], order[a]))
        held[agent_id][0] += 1
        held[agent_id][1] += balance
        given[agent_id].append(case_id)
    by_id = {a.id: a for a in agents}
    for agent_id, case_ids in given.items():
        for case in db.session.scalars(sa.select(Case).where(Case.id.in_(case_ids))):
            assign(case, by_id[agent_id], actor=actor)
    audit.record(
        "cases.distributed",
        None,
        actor=actor,
        method=method.value,
        given={str(k): len(v) for k, v in given.items()},
    )
    return given


# --- the debtor's details ------------------------------------------------------------------------

EDITABLE_DEBTOR_FIELDS = (
    "name",
    "contact_name",
    "street",
    "postcode",
    "city",
    "country",
    "email",
    "phone",
    "language",
    "consent_email",
    "consent_sms",
    "vulnerable",
)
COUNTRY_TIMEZONES = {"NL": "Europe/Amsterdam", "BE": "Europe/Brussels"}


def update_debtor(debtor: Debtor, values: dict, *, actor: User | None = None) -> dict:
    """Change the debtor's contact details; every change is kept in the audit trail with its old
    and new value. Returns the changes as {field: [old, new]}."""
    changes = {}
    for name in EDITABLE_DEBTOR_FIELDS:
        if name not in values:
            continue
        old, new = getattr(debtor, name), values[name]
        if isinstance(new, str):
            new = new.strip() or None
            if name in ("name", "country", "language") and new is None:
                raise CaseError(f"{name} cannot be empty")
        if old != new:
            setattr(debtor, name, new)
            changes[name] = [old, new]
    if "country" in changes:
        debtor.timezone = COUNTRY_TIMEZONES.get(debtor.country, debtor.timezone)
    if changes:
        db.session.flush()
        audit.record("debtor.updated", debtor, actor=actor, changes=changes)
    return changes
