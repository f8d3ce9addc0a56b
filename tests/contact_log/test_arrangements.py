"""Payment plans: within the client's rules they start at once, outside them a supervisor
approves; the ledger pays instalments oldest first and a missed one breaks the plan."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from agency.auth.models import Role
from agency.cases.models import Case, CaseStatus
from agency.contact_log.models import (
    Arrangement,
    ArrangementStatus,
    InstalmentStatus,
    Promise,
    PromiseStatus,
)
from agency.contact_log.operations import (
    GRACE_DAYS,
    WorkError,
    approve_arrangement,
    instalment_amounts,
    propose_arrangement,
    record_promise,
)
from agency.contact_log.tasks import check_arrangements
from agency.ledger.models import EntryKind, EntrySource
from agency.ledger.operations import book_reduction

MADE = date(2025, 4, 1)
FIRST = date(2025, 4, 15)


def test_instalments_are_equal_and_the_last_takes_the_odd_cents():
    assert instalment_amounts(100_00, 3) == [33_33, 33_33, 33_34]
    assert sum(instalment_amounts(123_457, 7)) == 123_457
    with pytest.raises(WorkError):
        instalment_amounts(2, 3)


@pytest.fixture
def case(app, db, make_case, make_client):
    client = make_client(plan_max_instalments=4, plan_min_instalment_cents=50_00)
    return make_case(600_00, client=client)


def test_within_the_rules_the_plan_runs_at_once(case, db, make_user):
    agent = make_user(Role.AGENT)
    record_promise(case, 100_00, date(2025, 4, 5), today=MADE)
    plan = propose_arrangement(case, 600_00, 3, FIRST, today=MADE, actor=agent)
    db.session.commit()
    assert plan.status is ArrangementStatus.ACTIVE and plan.exceeds_rules is None
    assert [(i.due_on, i.amount_cents) for i in plan.instalments] == [
        (date(2025, 4, 15), 200_00),
        (date(2025, 5, 15), 200_00),
        (date(2025, 6, 15), 200_00),
    ]
    assert case.status is CaseStatus.ARRANGEMENT and case.paused_reason == "arrangement"
    assert db.session.scalars(sa.select(Promise.status)).one() is PromiseStatus.CANCELLED


@pytest.mark.parametrize(
    ("total", "count", "breach"),
    [(600_00, 6, "6 instalments"), (120_00, 3, "minimum")],
)
def test_outside_the_rules_it_waits_for_a_supervisor(case, db, make_user, total, count, breach):
    agent, supervisor = make_user(Role.AGENT), make_user(Role.SUPERVISOR)
    plan = propose_arrangement(case, total, count, FIRST, today=MADE, actor=agent)
    assert plan.status is ArrangementStatus.PROPOSED and breach in plan.exceeds_rules
    assert case.status is CaseStatus.DUNNING
    with pytest.raises(WorkError):
        approve_arrangement(plan, today=MADE, actor=agent)
    approve_arrangement(plan, today=MADE, actor=supervisor)
    db.session.commit()
    assert plan.status is ArrangementStatus.ACTIVE and plan.approved_by_id == supervisor.id
    assert case.status is CaseStatus.ARRANGEMENT


def test_a_supervisors_own_plan_outside_the_rules_runs(case, db, make_user):
    supervisor = make_user(Role.SUPERVISOR)
    plan = propose_arrangement(case, 600_00, 6, FIRST, today=MADE, actor=supervisor)
    assert plan.status is ArrangementStatus.ACTIVE and plan.approved_by_id == supervisor.id


def test_the_database_refuses_an_unapproved_plan_outside_the_rules(case, db, make_user):
    plan = propose_arrangement(case, 600_00, 6, FIRST, today=MADE, actor=make_user(Role.AGENT))
    plan.status = ArrangementStatus.ACTIVE
    with pytest.raises(sa.exc.IntegrityError):
        db.session.flush()
    db.session.rollback()


def pay(case, cents, day):
    book_reduction(case, EntryKind.PAYMENT, cents, booked_on=day, source=EntrySource.BANK)


def test_a_missed_instalment_breaks_the_plan_and_returns_the_case(case, db):
    plan = propose_arrangement(case, 600_00, 3, FIRST, today=MADE)
    pay(case, 200_00, FIRST)
    db.session.commit()
    assert check_arrangements(date(2025, 5, 1).isoformat()) == {"completed": 0, "broken": 0}
    assert [i.status for i in plan.instalments] == [
        InstalmentStatus.PAID,
        InstalmentStatus.OPEN,
        InstalmentStatus.OPEN,
    ]
    pay(case, 150_00, date(2025, 5, 15))  # short
    db.session.commit()
    assert check_arrangements(date(2025, 5, 15 + GRACE_DAYS).isoformat())["broken"] == 0
    day = date(2025, 5, 15) + timedelta(days=GRACE_DAYS + 1)
    assert check_arrangements(day.isoformat()) == {"completed": 0, "broken": 1}
    db.session.expire_all()
    plan = db.session.get(Arrangement, plan.id)
    case = db.session.get(Case, case.id)
    assert plan.status is ArrangementStatus.BROKEN and plan.ended_on == day
    assert plan.instalments[1].status is InstalmentStatus.MISSED
    assert case.status is CaseStatus.DUNNING and case.paused_reason is None
    assert case.next_action_on == day
    assert check_arrangements(day.isoformat()) == {"completed": 0, "broken": 0}


def test_paying_every_instalment_completes_the_plan(case, db):
    plan = propose_arrangement(case, 600_00, 2, FIRST, today=MADE)
    pay(case, 300_00, FIRST)
    pay(case, 300_00, date(2025, 5, 14))
    db.session.commit()
    assert case.status is CaseStatus.PAID
    check_arrangements(date(2025, 5, 20).isoformat())
    db.session.expire_all()
    assert db.session.get(Arrangement, plan.id).status is ArrangementStatus.COMPLETED


def test_one_running_plan_per_case(case, db):
    propose_arrangement(case, 600_00, 3, FIRST, today=MADE)
    with pytest.raises(WorkError):
        propose_arrangement(case, 600_00, 3, FIRST, today=MADE)


def test_plans_on_the_page_and_the_supervisors_approval(client, login_as, case, db, make_user):
    from agency.modeling import today

    login_as("agent")
    token = client.csrf_token(f"/cases/{case.id}")
    first = (today() + timedelta(days=7)).isoformat()
    response = client.post(
        f"/cases/{case.id}/arrangements",
        data={"total": "600,00", "instalments": "6", "first_due_on": first, "csrf_token": token},
    )
    assert response.status_code == 302
    plan = db.session.scalars(sa.select(Arrangement)).one()
    assert plan.status is ArrangementStatus.PROPOSED
    denied = client.post(f"/arrangements/{plan.id}/approve", data={"csrf_token": token})
    assert denied.status_code == 403
    client.post("/logout", data={"csrf_token": token})
    login_as("supervisor")
    token = client.csrf_token(f"/cases/{case.id}")
    assert (
        client.post("/arrangements/999999/approve", data={"csrf_token": token}).status_code == 404
    )
    response = client.post(f"/arrangements/{plan.id}/approve", data={"csrf_token": token})
    assert response.status_code == 302
    assert db.session.get(Arrangement, plan.id).status is ArrangementStatus.ACTIVE
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert page.count("100,00") >= 6
