"""The case status machine: every allowed move works, every other one raises."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa

from agency.audit import AuditEvent
from agency.cases.models import CLOSED_STATUSES, CaseStatus
from agency.cases.operations import TRANSITIONS, new_reference, reference_is_valid, transition
from agency.errors import IllegalTransition

S = CaseStatus
ALLOWED = {
    S.NEW: {
        S.DUNNING,
        S.PROMISED,
        S.ARRANGEMENT,
        S.DISPUTED,
        S.LEGAL,
        S.PAID,
        S.RETURNED,
        S.WRITTEN_OFF,
    },
    S.DUNNING: {S.PROMISED, S.ARRANGEMENT, S.DISPUTED, S.LEGAL, S.PAID, S.RETURNED, S.WRITTEN_OFF},
    S.PROMISED: {S.DUNNING, S.ARRANGEMENT, S.DISPUTED, S.LEGAL, S.PAID, S.RETURNED, S.WRITTEN_OFF},
    S.ARRANGEMENT: {S.DUNNING, S.DISPUTED, S.LEGAL, S.PAID, S.RETURNED, S.WRITTEN_OFF},
    S.DISPUTED: {S.DUNNING, S.PAID, S.RETURNED, S.WRITTEN_OFF},
    S.LEGAL: {S.DUNNING, S.PAID, S.RETURNED, S.WRITTEN_OFF},
    S.PAID: {S.DUNNING},
    S.RETURNED: set(),
    S.WRITTEN_OFF: set(),
}
PAIRS = [(a, b) for a in S for b in S]


def test_the_table_here_is_the_machine_in_the_code():
    assert {k: set(v) for k, v in TRANSITIONS.items()} == ALLOWED


def _case_in(make_case, db, status: S):
    case = make_case(100_00, status=S.NEW)
    case.status = status
    case.closed_on = date(2025, 3, 1) if status in CLOSED_STATUSES else None
    db.session.commit()
    return case


@pytest.mark.parametrize(
    ("current", "target"), PAIRS, ids=[f"{a.value}->{b.value}" for a, b in PAIRS]
)
def test_transition(make_case, db, current, target):
    case = _case_in(make_case, db, current)
    if target in ALLOWED[current]:
        transition(case, target, on=date(2025, 4, 1), reason="test")
        db.session.commit()
        assert case.status is target
        assert (case.closed_on is not None) == (target in CLOSED_STATUSES)
        event = db.session.scalars(
            sa.select(AuditEvent).where(
                AuditEvent.action == "case.status", AuditEvent.object_id == case.id
            )
        ).one()
        assert event.data["old"] == current.value and event.data["new"] == target.value
    else:
        with pytest.raises(IllegalTransition):
            transition(case, target, on=date(2025, 4, 1))
        assert case.status is current


def test_database_refuses_a_closed_status_without_closing_date(make_case, db):
    case = make_case(100_00)
    with pytest.raises(sa.exc.IntegrityError, match="closed_iff_closed_on"):
        db.session.execute(
            sa.update(type(case)).where(type(case).id == case.id).values(status=S.PAID)
        )
    db.session.rollback()


def test_one_open_case_per_debtor(make_case, db):
    from agency.cases.operations import open_case

    case = make_case(100_00)
    with pytest.raises(sa.exc.IntegrityError):
        open_case(case.client, case.debtor, opened_on=date(2025, 4, 1))
    db.session.rollback()


def test_a_closed_case_lets_the_debtor_get_a_new_one(make_case, db):
    from agency.cases.operations import open_case

    case = make_case(100_00)
    transition(case, S.RETURNED, on=date(2025, 4, 1))
    second = open_case(case.client, case.debtor, opened_on=date(2025, 5, 1))
    db.session.commit()
    assert second.id != case.id and second.reference != case.reference


def test_references_carry_valid_check_digits():
    refs = {new_reference() for _ in range(200)}
    assert len(refs) == 200
    assert all(len(r) == 16 and reference_is_valid(r) for r in refs)
    ref = next(iter(refs))
    wrong = ref[:-1] + str((int(ref[-1]) + 1) % 10)
    assert not reference_is_valid(wrong)


def test_unused_references_avoid_the_ones_taken(make_case, db, monkeypatch):
    from agency.cases import operations

    taken = make_case(100_00).reference
    fresh = iter([taken, taken, "1" * 14 + "00"])
    monkeypatch.setattr(operations, "new_reference", lambda: next(fresh))
    assert operations.unused_references(1) == ["1" * 14 + "00"]
