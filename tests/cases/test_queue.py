"""The work queues: the documented priority score, its order, keyset pages, filters, and how a
supervisor distributes and reassigns cases."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa

from agency.auth.models import Role
from agency.cases.models import Case, CaseStatus, Invoice
from agency.cases.operations import DistributionMethod, distribute
from agency.cases.priority import PriorityFacts, case_facts, priority_score, refresh_priorities
from agency.cases.queries import QueueCursor, QueueFilters, QueueScope, queue_rows
from agency.clients.models import Segment
from agency.contact_log.models import Promise, PromiseStatus

TODAY = date(2025, 4, 1)


def facts(**changes) -> PriorityFacts:
    values = dict(
        balance_cents=0,
        days_overdue=0,
        broken_promises=0,
        days_since_contact=0,
        average_days_late=0,
        client_priority=0,
    )
    values.update(changes)
    return PriorityFacts(**values)


@pytest.mark.parametrize(
    ("changes", "score"),
    [
        ({}, 0),
        ({"balance_cents": 24_99}, 0),
        ({"balance_cents": 25_00}, 1),
        ({"balance_cents": 1_000_000_00}, 300),  # capped at €7,500
        ({"days_overdue": 45}, 45),
        ({"days_overdue": 900}, 200),
        ({"broken_promises": 1}, 100),
        ({"broken_promises": 7}, 300),
        ({"days_since_contact": 10}, 20),
        ({"days_since_contact": 100}, 120),
        ({"average_days_late": 12}, 12),
        ({"average_days_late": 400}, 60),
        ({"client_priority": 2}, 100),
        ({"client_priority": 9}, 200),
        ({"days_overdue": -5, "balance_cents": -100_00}, 0),  # overpaid, not yet due
        ({"open_requests": 1}, 400),
        ({"open_requests": 3}, 400),  # however many requests
    ],
)
def test_each_part_of_the_score_and_its_cap(changes, score):
    assert priority_score(facts(**changes)) == score


def test_the_parts_add_up():
    assert priority_score(facts(balance_cents=500_00, days_overdue=30, client_priority=1)) == (
        20 + 30 + 50
    )


def test_facts_come_from_ledger_invoices_contacts_promises_and_history(
    app, db, make_case, make_client, make_debtor
):
    from agency.contact_log.models import Channel, Outcome
    from agency.contact_log.operations import log_contact

    client = make_client(priority=2)
    debtor = make_debtor(client)
    # Paid history: 10 and 20 days late -> 15 on average.
    for n, late in enumerate((10, 20)):
        db.session.add(
            Invoice(
                client_id=client.id,
                debtor_id=debtor.id,
                number=f"H-{n}",
                invoice_date=date(2024, 1, 1),
                due_date=date(2024, 2, 1),
                amount_cents=50_00,
                paid_on=date(2024, 2, 1) + timedelta(days=late),
            )
        )
    case = make_case(300_00, 200_00, debtor=debtor, due_dates=[date(2025, 2, 1), date(2025, 3, 1)])
    db.session.add(
        Promise(
            client_id=client.id,
            case_id=case.id,
            debtor_id=debtor.id,
            amount_cents=10_00,
            made_on=date(2025, 1, 1),
            promised_on=date(2025, 1, 5),
            status=PromiseStatus.BROKEN,
            settled_on=date(2025, 1, 9),
        )
    )
    db.session.flush()
    before = case_facts([case.id], TODAY)[case.id]
    assert before == PriorityFacts(
        balance_cents=500_00,
        days_overdue=(TODAY - date(2025, 2, 1)).days,
        broken_promises=1,
        days_since_contact=(TODAY - case.opened_on).days,
        average_days_late=15,
        client_priority=2,
    )
    log_contact(
        case,
        channel=Channel.CALL_OUT,
        outcome=Outcome.NO_ANSWER,
        occurred_at=datetime(2025, 4, 1, 8, 30, tzinfo=UTC),
        today=TODAY,
    )
    assert case_facts([case.id], TODAY)[case.id].days_since_contact == 0
    assert case.priority_score == priority_score(case_facts([case.id], TODAY)[case.id])


def test_the_queue_ranks_by_score_then_next_action(app, db, make_case, make_user):
    agent = make_user(Role.AGENT)
    small = make_case(100_00)
    large = make_case(5_000_00)
    same_a = make_case(1_000_00)
    same_b = make_case(1_000_00)
    for case in (small, large, same_a, same_b):
        case.assigned_agent_id = agent.id
    same_a.next_action_on = TODAY + timedelta(days=3)
    same_b.next_action_on = TODAY - timedelta(days=2)
    refresh_priorities(None, TODAY)
    rows = queue_rows(QueueScope.MINE, today=TODAY, user_id=agent.id)
    assert [r.id for r in rows] == [large.id, same_b.id, same_a.id, small.id]
    assert rows[0].priority_score > rows[1].priority_score == rows[2].priority_score
    assert [r.overdue for r in rows] == [True, True, False, True]  # opened 2025-03-01: due then


def test_a_broken_promise_raises_the_case_above_its_twin(app, db, make_case):
    plain = make_case(800_00)
    broken = make_case(800_00)
    db.session.add(
        Promise(
            client_id=broken.client_id,
            case_id=broken.id,
            debtor_id=broken.debtor_id,
            amount_cents=100_00,
            made_on=date(2025, 3, 10),
            promised_on=date(2025, 3, 15),
            status=PromiseStatus.BROKEN,
            settled_on=date(2025, 3, 19),
        )
    )
    refresh_priorities(None, TODAY)
    rows = queue_rows(QueueScope.UNASSIGNED, today=TODAY)
    assert [r.id for r in rows] == [broken.id, plain.id]
    assert rows[0].priority_score - rows[1].priority_score == 100


@pytest.fixture
def many_cases(app, db, make_case, make_client):
    """55 unassigned cases with few distinct scores and next actions, some without one."""
    client = make_client()
    cases = [make_case(100_00 + i, client=client) for i in range(55)]
    for i, case in enumerate(cases):
        case.priority_score = (i * 7) % 4 * 10
        case.next_action_on = None if i % 5 == 0 else TODAY + timedelta(days=(i * 3) % 4)
    db.session.commit()
    return cases


def expected_order(cases) -> list[int]:
    return [
        c.id
        for c in sorted(
            cases,
            key=lambda c: (
                -c.priority_score,
                c.next_action_on is None,
                c.next_action_on or date.min,
                c.id,
            ),
        )
    ]


def test_keyset_pages_walk_the_whole_queue_in_order(many_cases):
    seen, after, pages = [], None, 0
    while True:
        page = queue_rows(QueueScope.UNASSIGNED, today=TODAY, after=after, limit=5)
        if not page:
            break
        pages += 1
        seen.extend(r.id for r in page)
        after = page[-1].cursor
    assert pages == 11
    assert seen == expected_order(many_cases)


def test_page_ten_is_right_and_stays_put_when_cases_arrive(many_cases, make_case, db):
    after = None
    for _ in range(9):
        after = queue_rows(QueueScope.UNASSIGNED, today=TODAY, after=after, limit=5)[-1].cursor
    page_ten = [r.id for r in queue_rows(QueueScope.UNASSIGNED, today=TODAY, after=after, limit=5)]
    assert page_ten == expected_order(many_cases)[45:50]
    urgent = make_case(9_999_00)
    urgent.priority_score = 999
    db.session.commit()
    again = [r.id for r in queue_rows(QueueScope.UNASSIGNED, today=TODAY, after=after, limit=5)]
    assert again == page_ten
    assert QueueCursor.decode(after.encode()) == after


def test_page_ten_through_the_page(client, login_as, many_cases, monkeypatch):
    import agency.cases.views as views

    monkeypatch.setattr(views, "QUEUE_PAGE", 5)
    login_as("agent")
    path = "/queue?scope=unassigned"
    for _ in range(9):
        html = client.get(path).get_data(as_text=True)
        path = (
            re.search(r'href="([^"]+)" data-testid="next-page"', html)
            .group(1)
            .replace("&amp;", "&")
        )
    html = client.get(path).get_data(as_text=True)
    references = re.findall(r'/cases/(\d+)">', html)
    assert [int(r) for r in references] == expected_order(many_cases)[45:50]


def test_filters(app, db, make_case, make_client, make_debtor, make_user):
    agent = make_user(Role.AGENT)
    nl_client, other_client = make_client(), make_client()
    b2c = make_case(50_00, client=nl_client)
    b2c.segment = Segment.B2C
    english = make_case(700_00, debtor=make_debtor(nl_client, language="en"))
    later = make_case(2_000_00, client=other_client)
    later.next_action_on = TODAY + timedelta(days=5)
    promised = make_case(300_00, client=other_client, status=CaseStatus.PROMISED)
    for case in (b2c, english, later, promised):
        case.assigned_agent_id = agent.id
    db.session.commit()

    def ids(**filters):
        rows = queue_rows(
            QueueScope.MINE, today=TODAY, user_id=agent.id, filters=QueueFilters(**filters)
        )
        return {r.id for r in rows}

    assert ids() == {b2c.id, english.id, later.id}  # the promised case waits
    assert ids(status=CaseStatus.PROMISED) == {promised.id}
    assert ids(client_id=nl_client.id) == {b2c.id, english.id}
    assert ids(segment=Segment.B2C) == {b2c.id}
    assert ids(language="en") == {english.id}
    assert ids(min_cents=100_00, max_cents=1_000_00) == {english.id}
    assert ids(min_cents=700_00) == {english.id, later.id}
    assert ids(due_only=True) == {b2c.id, english.id}


def test_filters_through_the_page(client, login_as, make_case, make_debtor, make_client, db):
    agent = login_as("agent")
    c = make_client()
    small = make_case(50_00, client=c)
    big = make_case(900_00, debtor=make_debtor(c, language="en"))
    for case in (small, big):
        case.assigned_agent_id = agent.id
    html = client.get("/queue?min_amount=100&language=en").get_data(as_text=True)
    assert big.reference in html and small.reference not in html
    html = client.get("/queue?min_amount=twelve").get_data(as_text=True)
    assert "Vul een bedrag in" in html or "Enter an amount" in html
    assert big.reference in html and small.reference in html  # the bad filter is left out


def test_only_supervisors_see_the_team_queue(client, login_as):
    login_as("agent")
    assert client.get("/queue?scope=team").status_code == 403
    assert client.get("/queue?scope=nonsense").status_code == 400
    assert client.get("/queue?after=1_x_2").status_code == 400


def test_distribute_by_count_and_by_balance(app, db, make_case, make_user):
    first, second = make_user(Role.AGENT), make_user(Role.AGENT)
    cases = [(make_case(cents).id, cents) for cents in (1_000_00, 400_00, 300_00, 200_00)]
    given = distribute(cases, [first, second], DistributionMethod.COUNT)
    assert sorted(len(v) for v in given.values()) == [2, 2]
    by_balance = distribute(cases, [first, second], DistributionMethod.BALANCE)
    assert by_balance == {first.id: [cases[0][0]], second.id: [c[0] for c in cases[1:]]}
    # Existing load counts: an agent who holds much already gets less.
    loaded = distribute(
        cases, [first, second], DistributionMethod.COUNT, load={first.id: (3, 0), second.id: (0, 0)}
    )
    # Three each after three cases; the tie goes to the agent with less balance.
    assert loaded == {first.id: [cases[3][0]], second.id: [c[0] for c in cases[:3]]}


def test_a_supervisor_distributes_through_the_page(client, login_as, make_case, make_user, db):
    first, second = make_user(Role.AGENT, name="Anna Agent"), make_user(Role.AGENT, name="Bram")
    cases = [make_case(cents) for cents in (1_000_00, 400_00, 300_00, 200_00)]
    login_as("supervisor")
    token = client.csrf_token("/queue/distribute")
    response = client.post(
        "/queue/distribute",
        data={"agents": [first.id, second.id], "method": "balance", "csrf_token": token},
    )
    assert response.status_code == 302
    owners = {c.id: db.session.get(Case, c.id).assigned_agent_id for c in cases}
    assert owners[cases[0].id] == first.id
    assert {owners[c.id] for c in cases[1:]} == {second.id}
    assert client.get("/queue?scope=unassigned").get_data(as_text=True).count("queue-row") == 0


def test_agents_cannot_distribute_or_reassign(client, login_as, make_case, make_user):
    case = make_case(100_00)
    login_as("agent")
    assert client.get("/queue/distribute").status_code == 403
    token = client.csrf_token("/queue")
    response = client.post(
        "/queue/reassign", data={"cases": [case.id], "agent": "", "csrf_token": token}
    )
    assert response.status_code == 403


def test_a_supervisor_reassigns_from_the_team_queue(client, login_as, make_case, make_user, db):
    first, second = make_user(Role.AGENT), make_user(Role.AGENT)
    cases = [make_case(100_00), make_case(200_00), make_case(300_00)]
    for case in cases:
        case.assigned_agent_id = first.id
    login_as("supervisor")
    token = client.csrf_token("/queue?scope=team")
    response = client.post(
        "/queue/reassign",
        data={
            "cases": [cases[0].id, cases[1].id],
            "agent": second.id,
            "next": "/queue?scope=team",
            "csrf_token": token,
        },
    )
    assert response.status_code == 302 and response.headers["Location"] == "/queue?scope=team"
    owners = [db.session.get(Case, c.id).assigned_agent_id for c in cases]
    assert owners == [second.id, second.id, first.id]
    events = db.session.scalars(
        sa.text("SELECT count(*) FROM audit_events WHERE action = 'case.assigned'")
    ).one()
    assert events == 2


def test_the_jobs_score_new_cases_and_refresh_all(app, db, make_case):
    from agency.cases.tasks import refresh_case_priorities, score_new_cases

    fresh, scored = make_case(1_000_00), make_case(1_000_00)
    scored.priority_score = 7
    db.session.commit()
    assert score_new_cases(TODAY.isoformat()) == 1
    db.session.expire_all()
    expected = priority_score(case_facts([fresh.id], TODAY)[fresh.id])
    assert db.session.get(Case, fresh.id).priority_score == expected > 0
    assert db.session.get(Case, scored.id).priority_score == 7
    assert refresh_case_priorities(TODAY.isoformat()) == 1
    assert refresh_case_priorities(TODAY.isoformat()) == 0  # idempotent
    db.session.expire_all()
    assert db.session.get(Case, scored.id).priority_score == expected


def test_the_team_queue_shows_agents_and_marks_overdue_rows(client, login_as, make_case, make_user):
    first = make_user(Role.AGENT, name="Anna Agent")
    late, later = make_case(100_00), make_case(200_00)
    late.assigned_agent_id = later.assigned_agent_id = first.id
    later.next_action_on = date(2999, 1, 1)
    login_as("supervisor")
    html = client.get(f"/queue?scope=team&agent={first.id}").get_data(as_text=True)
    rows = re.findall(r'<tr class="([^"]*)" data-testid="queue-row">(.*?)</tr>', html, re.S)
    overdue = {
        ref: "overdue" in cls
        for cls, body in rows
        for ref in (late.reference, later.reference)
        if ref in body
    }
    assert overdue == {late.reference: True, later.reference: False}
    assert len(rows) == 2 and all("Anna Agent" in body for _, body in rows)


# --- what one queue page costs -------------------------------------------------------------


@pytest.fixture
def count_statements(db):
    """Count the SQL statements this thread sends while the block runs."""
    import contextlib
    import threading

    @contextlib.contextmanager
    def counting():
        seen: list[str] = []
        me = threading.get_ident()

        def listen(conn, cursor, statement, *args):
            if threading.get_ident() == me:
                seen.append(statement)

        sa.event.listen(db.engine, "before_cursor_execute", listen)
        try:
            yield seen
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", listen)

    return counting


@pytest.mark.parametrize("scope", ["mine", "unassigned"])
def test_queue_page_costs_three_statements_however_many_rows(
    client, login_as, make_case, make_client, db, count_statements, scope
):
    agent = login_as("agent")
    clients = [make_client() for _ in range(3)]

    def add_cases(n: int) -> None:
        for i in range(n):
            case = make_case(100_00 + i, client=clients[i % 3])
            case.assigned_agent_id = agent.id if scope == "mine" else None
            case.next_action_on = TODAY + timedelta(days=i % 4)
        db.session.commit()

    add_cases(2)
    client.get(f"/queue?scope={scope}")  # the first request of a session sets things up
    counts = []
    for more in (0, 30):
        add_cases(more)
        with count_statements() as seen:
            html = client.get(f"/queue?scope={scope}").get_data(as_text=True)
        assert html.count('data-testid="queue-row"') == 2 + more
        counts.append(len(seen))
    # The user and the page of cases: no query per row, the client list of the filter kept
    # from the first request, and the staff list only where a supervisor needs it.
    assert counts == [2, 2]


def test_client_filter_lists_a_client_added_since_the_last_page(client, login_as, make_client):
    login_as("agent")
    make_client(name="Eerste B.V.")
    assert "Eerste B.V." in client.get("/queue").get_data(as_text=True)
    added = make_client(name="Tweede B.V.")
    html = client.get("/queue").get_data(as_text=True)
    assert f'<option value="{added.id}">Tweede B.V.</option>' in html
    added.name = "Tweede Nieuw B.V."
    html = client.get("/queue").get_data(as_text=True)
    assert "Tweede Nieuw B.V." in html and "Tweede B.V." not in html


def test_supervisor_team_queue_loads_the_agents_once(
    client, login_as, make_case, make_user, db, count_statements
):
    supervisor = login_as("supervisor")
    agent = make_user(Role.AGENT, name="Agent Smit")
    for i in range(5):
        make_case(100_00 + i).assigned_agent_id = agent.id
    db.session.commit()
    with count_statements() as seen:
        html = client.get("/queue?scope=team").get_data(as_text=True)
    assert html.count('data-testid="queue-row"') == 5
    assert f'<option value="{agent.id}">Agent Smit</option>' in html
    assert f'<option value="{supervisor.id}">' in html
    # user, clients, agents for the filter, agents for the reassign form, the page
    assert len(seen) == 5
    with count_statements() as seen:
        client.get("/queue?scope=team")
    assert len(seen) == 4  # the client list is kept


def test_list_select_writes_what_wtforms_writes(app):
    from wtforms import Form, SelectField

    from agency.cases.forms import ListSelect, choices

    options = choices([("", "All"), (1, "A & B <B.V.>"), (2, '"Quoted"'), (3, "Ünïcode")])

    class Plain(Form):
        pick = SelectField(choices=options, coerce=str)

    class Quick(Form):
        pick = SelectField(choices=options, coerce=str, widget=ListSelect())

    for data in ("", "1", "2", "9"):
        assert str(Quick(data={"pick": data}).pick()) == str(Plain(data={"pick": data}).pick())
    assert 'selected value="1"' in str(Quick(data={"pick": "1"}).pick())


def test_kept_choices_are_written_once_per_selection_as_wtforms_writes_them(app):
    """The client filter's list is kept between pages and written once per selected client;
    what it writes is WTForms' own select, for every selection, with the field's coercion,
    its required flag, and after other kept lists were made."""
    from wtforms import Form, SelectField
    from wtforms.validators import InputRequired

    from agency.cases.forms import ListSelect, _int_or_none, kept_choices

    pairs = [("", "All"), (1, "A & B <B.V.>"), (2, '"Quoted"'), (30, "Ünïcode")]
    kept = kept_choices(pairs)

    class Plain(Form):
        pick = SelectField(coerce=_int_or_none, validate_choice=False)
        needed = SelectField(coerce=_int_or_none, validators=[InputRequired()])

    class Quick(Form):
        pick = SelectField(coerce=_int_or_none, validate_choice=False, widget=ListSelect())
        needed = SelectField(coerce=_int_or_none, validators=[InputRequired()], widget=ListSelect())

    def both(data):
        plain, quick = Plain(data={"pick": data, "needed": data}), Quick(data=dict(pick=data))
        quick.needed.data = data
        for form in (plain, quick):
            form.pick.choices = kept
            form.needed.choices = kept
        return plain, quick

    for _ in range(2):  # written, then read back
        for data in (None, 1, 2, 30, 9):
            plain, quick = both(data)
            assert str(quick.pick()) == str(plain.pick())
            assert str(quick.needed(class_="x")) == str(plain.needed(class_="x"))
    assert 'selected value="30"' in str(both(30)[1].pick())
    assert "selected" not in str(both(9)[1].pick())
    for n in range(10):  # other kept lists leave the first one's options as they were
        kept_choices([(n, f"Client {n}")])
    assert str(both(2)[1].pick()) == str(both(2)[0].pick())


def test_kept_choices_take_plain_text_labels_only(app):
    """A kept list is written once for every language, so a label that is translated per
    page (a lazy string) cannot be in it."""
    from flask_babel import lazy_gettext

    from agency.cases.forms import kept_choices

    with pytest.raises(TypeError):
        kept_choices([("", lazy_gettext("All")), (1, "A")])


def test_my_queue_walks_the_agent_index(app, db, make_user):
    """The agent's queue is read from the index on (agent, priority, next action, id), also
    for a keyset page; PostgreSQL is told not to scan the table so the plan shows it at any
    size."""
    from agency.cases.queries import queue_statement

    agent = make_user(Role.AGENT)
    after = QueueCursor(100, TODAY, 5)
    index = "ix_cases_assigned_agent_id_priority_score_next_action_on_id"
    for cursor in (None, after):
        stmt = queue_statement(QueueScope.MINE, today=TODAY, user_id=agent.id, after=cursor)
        compiled = stmt.compile(db.engine, compile_kwargs={"literal_binds": True})
        with db.engine.connect() as conn:
            if db.engine.dialect.name == "postgresql":
                conn.execute(sa.text("SET enable_seqscan = off"))
                plan = "\n".join(conn.execute(sa.text(f"EXPLAIN {compiled}")).scalars())
                assert f"Index Scan Backward using {index} on cases" in plan, plan
                conditions = [line for line in plan.splitlines() if "Index Cond:" in line]
                assert f"assigned_agent_id = {agent.id}" in conditions[0], plan
                if cursor is not None:  # the page starts at the cursor, not at the top
                    assert "priority_score <= 100" in conditions[0], plan
            else:
                rows = conn.execute(sa.text(f"EXPLAIN QUERY PLAN {compiled}")).all()
                plan = "\n".join(str(r[-1]) for r in rows)
                assert f"USING INDEX {index} (assigned_agent_id=?" in plan, plan
