"""A debtor's request from the payment page reaches the agents' queues even while the case is
paused (promise, plan, dispute), ranked up and marked, until an agent marks it handled."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import sqlalchemy as sa

from agency.cases.models import Case, CaseStatus
from agency.cases.priority import (
    DEBTOR_REQUEST_POINTS,
    case_facts,
    priority_score,
    refresh_priorities,
)
from agency.cases.queries import QueueScope, queue_rows
from agency.modeling import today
from agency.paylink.models import DebtorRequest, RequestStatus
from tests.paylink.conftest import page_csrf


def _post(client, token, action, data):
    csrf = page_csrf(client, f"/pay/{token}")
    return client.post(f"/pay/{token}/{action}", data={**data, "csrf_token": csrf})


def _queue_rows(html: str) -> list[str]:
    return html.split('data-testid="queue-row"')[1:]


def test_a_paused_case_with_an_open_request_is_in_my_queue_until_handled(
    app, db, client, checked, make_user
):
    agent = make_user("agent")
    case, token = checked(100_00, 250_00)  # `client` is the debtor, past the check
    case.assigned_agent_id = agent.id
    db.session.commit()
    staff = app.test_client()
    assert staff.login(agent.email).status_code == 302
    promised_on = (today() + timedelta(days=10)).isoformat()
    promised = _post(client, token, "promise", {"amount": "50,00", "promised_on": promised_on})
    assert promised.status_code == 303
    assert db.session.get(Case, case.id).status is CaseStatus.PROMISED
    paused = staff.get("/queue?scope=mine").get_data(as_text=True)
    assert case.reference not in paused  # paused and nothing asked: not in the queue

    assert _post(client, token, "copy", {"invoice": str(case.invoices[0].id)}).status_code == 303
    request = db.session.scalar(sa.select(DebtorRequest))
    page = staff.get("/queue?scope=mine").get_data(as_text=True)
    rows = [row for row in _queue_rows(page) if case.reference in row]
    assert len(rows) == 1 and 'data-testid="debtor-request"' in rows[0]
    assert db.session.get(Case, case.id).status is CaseStatus.PROMISED  # still paused

    csrf = staff.csrf_token(f"/cases/{case.id}")
    done = staff.post(f"/cases/{case.id}/requests/{request.id}/done", data={"csrf_token": csrf})
    assert done.status_code == 302
    assert db.session.get(DebtorRequest, request.id).status is RequestStatus.DONE
    after = staff.get("/queue?scope=mine").get_data(as_text=True)
    assert case.reference not in after


def test_an_open_request_ranks_a_case_up_and_handling_it_puts_it_back(
    app, db, make_case, make_user
):
    from agency.paylink.operations import debtor_invoice_copy, handle_request

    day = today()
    plain = make_case(900_00)
    asking = make_case(100_00)
    refresh_priorities(None, day)
    before = [r.id for r in queue_rows(QueueScope.UNASSIGNED, today=day)]
    assert before == [plain.id, asking.id]

    request = debtor_invoice_copy(asking, asking.invoices[0], today=day)
    facts = case_facts([asking.id], day)[asking.id]
    assert facts.open_requests == 1
    base = priority_score(replace(facts, open_requests=0))  # the copy's contact counts too
    rows = queue_rows(QueueScope.UNASSIGNED, today=day)
    assert [(r.id, r.debtor_request) for r in rows] == [(asking.id, True), (plain.id, False)]
    assert rows[0].priority_score == base + DEBTOR_REQUEST_POINTS

    handle_request(request, actor=make_user("agent"), today=day)
    rows = queue_rows(QueueScope.UNASSIGNED, today=day)
    assert [(r.id, r.debtor_request) for r in rows] == [(plain.id, False), (asking.id, False)]
    assert rows[1].priority_score == base


def test_keyset_pages_stay_in_order_with_paused_cases_that_ask(app, db, make_case):
    from agency.paylink.operations import debtor_invoice_copy

    day = today()
    cases = [make_case(100_00 * (n % 7 + 1)) for n in range(23)]
    for n, case in enumerate(cases):
        if n % 3 == 0:
            case.status = CaseStatus.PROMISED
        if n % 4 == 0:
            debtor_invoice_copy(case, case.invoices[0], today=day)
    refresh_priorities(None, day)
    expected = db.session.scalars(
        sa.select(Case.id)
        .where(
            sa.or_(
                Case.status.in_([CaseStatus.NEW, CaseStatus.DUNNING]),
                Case.id.in_(sa.select(DebtorRequest.case_id)),
            )
        )
        .order_by(Case.priority_score.desc(), Case.next_action_on.asc().nulls_last(), Case.id)
    ).all()
    walked, after = [], None
    while True:
        page = queue_rows(QueueScope.UNASSIGNED, today=day, after=after, limit=4)
        walked.extend(r.id for r in page)
        if len(page) < 4:
            break
        after = page[-1].cursor
    assert walked == expected
    paused_asking = {c.id for n, c in enumerate(cases) if n % 3 == 0 and n % 4 == 0}
    paused_silent = {c.id for n, c in enumerate(cases) if n % 3 == 0 and n % 4 != 0}
    assert paused_asking and paused_asking <= set(walked)
    assert not paused_silent & set(walked)
