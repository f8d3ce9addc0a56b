"""The demo data: it loads through the operations, a second load adds nothing, and it looks real."""

from __future__ import annotations

import re
from collections import Counter
from datetime import UTC, date, datetime, timedelta

import phonenumbers
import pytest
import sqlalchemy as sa
from schwifty import IBAN

from agency.auth.models import STAFF_ROLES, Role, User
from agency.auth.operations import authenticate
from agency.cases.models import Case, CaseStatus, Debtor, DebtorKind, Invoice
from agency.clients.models import Client, Segment
from agency.demo import DEMO_PASSWORD, load_demo
from agency.ledger.models import REDUCING_KINDS, EntryKind, LedgerEntry
from agency.ledger.queries import case_balance, ledger_total
from agency.modeling import today as local_today

TODAY = date(2026, 3, 2)
E164 = re.compile(r"^\+[1-9]\d{7,14}$")
NL_POSTCODE = re.compile(r"^[1-9]\d{3} [A-Z]{2}$")
BE_POSTCODE = re.compile(r"^[1-9]\d{3}$")


@pytest.fixture
def demo(app, db) -> list[tuple[str, str, str]]:
    """The demo loaded (and committed) as of TODAY; returns its logins."""
    logins = load_demo(today=TODAY)
    db.session.commit()
    return logins


def row_counts(db) -> dict[str, int]:
    return {
        table.name: db.session.scalar(sa.select(sa.func.count()).select_from(table))
        for table in db.metadata.sorted_tables
    }


def test_logins_work_with_the_demo_password(demo, db):
    roles = Counter(role for _, role, _ in demo)
    assert roles == {"admin": 1, "supervisor": 1, "agent": 2, "client": 3}
    assert ("agent1@agency.test", "agent", "Sanne de Vries") in demo
    assert ("portal@bakkerij-jansen.test", "client", "client user of Bakkerij Jansen B.V.") in demo
    now = datetime.now(UTC)
    for email, role, detail in demo:
        user = authenticate(email, DEMO_PASSWORD, now)
        assert user.role.value == role
        if user.role is Role.CLIENT:
            assert user.client is not None
            assert user.client.name in detail
        else:
            assert email.endswith("@agency.test")
            assert detail == user.name


def test_staff_and_clients(demo, db):
    users = db.session.scalars(sa.select(User)).all()
    staff = [u for u in users if u.role in STAFF_ROLES]
    portal = [u for u in users if u.role is Role.CLIENT]
    assert Counter(u.role for u in staff) == {Role.ADMIN: 1, Role.SUPERVISOR: 1, Role.AGENT: 2}
    assert all(u.client_id is None for u in staff)
    assert len(portal) == 3
    assert all(u.client_id is not None for u in portal)

    clients = db.session.scalars(sa.select(Client)).all()
    assert len(clients) == 3
    assert {u.client_id for u in portal} == {c.id for c in clients}
    for client in clients:
        assert re.fullmatch(r"\d{8}", client.kvk_number)
        assert re.fullmatch(r"NL\d{9}B01", client.vat_number)
        assert IBAN(client.iban).country_code == "NL"
        assert 10 <= client.commission_pct <= 20
        assert re.fullmatch(r"#[0-9a-f]{6}", client.brand_colour)
        assert client.new_payment_term_days in (14, 21, 30)
        assert E164.match(client.phone)
        assert NL_POSTCODE.match(client.postcode)
    b2c = [c for c in clients if c.default_segment is Segment.B2C]
    assert len(b2c) == 1
    assert b2c[0].vat_on_costs is False

    # The debtors follow the client's segment: a consumer client has persons, a trade client
    # companies, and the mixed one both.
    kinds = {
        client.name: set(
            db.session.scalars(
                sa.select(Debtor.kind).where(Debtor.client_id == client.id).distinct()
            )
        )
        for client in clients
    }
    assert sorted(sorted(kind.value for kind in k) for k in kinds.values()) == [
        ["company"],
        ["company", "person"],
        ["person"],
    ]
    assert kinds[b2c[0].name] == {DebtorKind.PERSON}


def test_debtors_look_like_real_people_and_companies(demo, db):
    debtors = db.session.scalars(sa.select(Debtor)).all()
    assert 250 <= len(debtors) <= 350
    per_client = Counter(d.client_id for d in debtors)
    assert len(per_client) == 3
    assert min(per_client.values()) >= 50
    assert len({(d.client_id, d.debtor_code) for d in debtors}) == len(debtors)

    belgian = [d for d in debtors if d.country == "BE"]
    assert 1 <= len(belgian) <= 15
    for debtor in debtors:
        assert debtor.name and debtor.street and debtor.city
        assert re.search(r"\d", debtor.street), debtor.street
        if debtor.country == "BE":
            assert BE_POSTCODE.match(debtor.postcode), debtor.postcode
            assert debtor.timezone == "Europe/Brussels"
        else:
            assert debtor.country == "NL"
            assert NL_POSTCODE.match(debtor.postcode), debtor.postcode
            assert debtor.timezone == "Europe/Amsterdam"
        if debtor.phone is not None:
            assert E164.match(debtor.phone), debtor.phone
            number = phonenumbers.parse(debtor.phone)
            assert phonenumbers.is_valid_number(number), debtor.phone
            assert phonenumbers.region_code_for_number(number) == debtor.country
        if debtor.email is not None:
            assert re.fullmatch(r"[a-z0-9.]+@[a-z0-9-]+\.test", debtor.email), debtor.email
        if debtor.iban is not None:
            assert IBAN(debtor.iban).country_code == debtor.country
        if debtor.kind is DebtorKind.COMPANY:
            assert debtor.contact_name
            assert debtor.country == "BE" or re.fullmatch(r"\d{8}", debtor.kvk_number)
        else:
            assert debtor.kvk_number is None
    languages = Counter(d.language for d in debtors)
    assert set(languages) == {"nl", "en"}
    assert languages["nl"] >= 0.85 * len(debtors)
    assert sum(d.phone is not None for d in debtors) >= 0.8 * len(debtors)
    assert sum(d.email is not None for d in debtors) >= 0.8 * len(debtors)
    # Dutch names: surnames with tussenvoegsels, and company forms.
    names = [d.name for d in debtors]
    assert any(re.search(r" (van|de|van der|van den) [A-Z]", n) for n in names)
    assert any(n.endswith(" B.V.") for n in names)
    assert any(n.endswith(" V.O.F.") for n in names)


def test_invoices_open_and_historic(demo, db):
    invoices = db.session.scalars(sa.select(Invoice)).all()
    open_invoices = [i for i in invoices if i.paid_on is None]
    historic = [i for i in invoices if i.paid_on is not None]
    assert all(i.case_id is not None for i in open_invoices)
    assert all(i.case_id is None for i in historic)
    for debtor_id, count in Counter(i.debtor_id for i in open_invoices).items():
        assert 1 <= count <= 4, debtor_id
    for debtor_id, count in Counter(i.debtor_id for i in historic).items():
        assert 2 <= count <= 8, debtor_id

    for invoice in invoices:
        assert (invoice.due_date - invoice.invoice_date).days in (14, 30)
        assert 45_00 <= invoice.amount_cents <= 12_000_00
        assert 0 <= invoice.reminders_sent <= 2
        assert invoice.paid_before_handoff_cents < invoice.amount_cents
    for invoice in open_invoices:
        assert 30 <= (TODAY - invoice.invoice_date).days <= 300
        assert invoice.due_date < invoice.case.opened_on
    for invoice in historic:
        assert 0 <= (invoice.paid_on - invoice.due_date).days <= 90
        assert invoice.paid_on < TODAY
        assert invoice.paid_before_handoff_cents == 0
    assert sum(i.paid_before_handoff_cents > 0 for i in open_invoices) >= 0.05 * len(open_invoices)
    assert sum(i.reminders_sent > 0 for i in open_invoices) >= 0.5 * len(open_invoices)
    late = [(i.paid_on - i.due_date).days for i in historic]
    assert min(late) == 0 and max(late) > 60
    # Most invoices are small.
    amounts = sorted(i.amount_cents for i in invoices)
    assert amounts[len(amounts) // 2] < 1_000_00


def test_cases_statuses_and_balances(demo, db):
    cases = db.session.scalars(sa.select(Case)).all()
    debtors = db.session.scalar(sa.select(sa.func.count()).select_from(Debtor))
    assert len(cases) == debtors
    assert len({c.debtor_id for c in cases}) == len(cases)

    statuses = Counter(c.status for c in cases)
    for status in (
        CaseStatus.NEW,
        CaseStatus.DUNNING,
        CaseStatus.PROMISED,
        CaseStatus.DISPUTED,
        CaseStatus.RETURNED,
    ):
        assert statuses[status] >= 3, statuses
    assert 1 <= statuses[CaseStatus.LEGAL] <= 2
    assert 0.05 <= statuses[CaseStatus.PAID] / len(cases) <= 0.12
    assert statuses[CaseStatus.DUNNING] > len(cases) / 2

    agent_ids = set(db.session.scalars(sa.select(User.id).where(User.role == Role.AGENT)))
    for case in cases:
        assert 5 <= (TODAY - case.opened_on).days <= 60
        balance = case_balance(case.id)
        assert balance.total == ledger_total(case.id)
        principal = sum(i.amount_cents - i.paid_before_handoff_cents for i in case.invoices)
        booked = db.session.scalar(
            sa.select(sa.func.sum(LedgerEntry.amount_cents)).where(
                LedgerEntry.case_id == case.id, LedgerEntry.kind == EntryKind.PRINCIPAL
            )
        )
        assert booked == principal
        if case.is_open:
            assert balance.total > 0, case.reference
            assert abs((case.next_action_on - TODAY).days) <= 10
            assert case.closed_on is None
        else:
            assert TODAY - timedelta(days=60) <= case.closed_on <= TODAY
        if case.status is CaseStatus.PAID:
            assert balance.total == 0
            assert balance.overpaid == 0
        if case.status in (CaseStatus.PROMISED, CaseStatus.DISPUTED, CaseStatus.LEGAL):
            assert case.paused_reason is not None
        if case.assigned_agent_id is not None:
            assert case.assigned_agent_id in agent_ids

    open_cases = [c for c in cases if c.is_open]
    assigned = [c for c in open_cases if c.assigned_agent_id is not None]
    assert 0.5 <= len(assigned) / len(open_cases) <= 0.8
    assert len({c.assigned_agent_id for c in assigned}) == 2

    costs = db.session.scalar(
        sa.select(sa.func.count(sa.distinct(LedgerEntry.case_id))).where(
            LedgerEntry.kind == EntryKind.COST
        )
    )
    assert costs >= 0.3 * len(cases)
    paid_something = set(
        db.session.scalars(
            sa.select(LedgerEntry.case_id).where(LedgerEntry.kind.in_(list(REDUCING_KINDS)))
        )
    )
    partly_paid = [c for c in open_cases if c.id in paid_something]
    assert 0.08 * len(cases) <= len(partly_paid) <= 0.2 * len(cases)


def test_a_second_load_adds_nothing(app, db, client):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["demo"])
    assert first.exit_code == 0, first.output
    assert DEMO_PASSWORD in first.output
    assert "agent1@agency.test" in first.output
    assert "portal@bakkerij-jansen.test" in first.output
    # A debtor's link is printed with its check's answer, and it opens the payment page.
    link = re.search(r"payment page: \S*(/pay/\S+) \(check: postcode ([^)]+)\)", first.output)
    assert link, first.output
    page = client.get(link.group(1))
    assert page.status_code == 200 and 'name="answer"' in page.get_data(as_text=True)
    token = client.csrf_token(link.group(1))
    checked = client.post(
        f"{link.group(1)}/check", data={"csrf_token": token, "answer": link.group(2)}
    )
    assert checked.status_code == 303
    assert 'id="answers"' in client.get(checked.location).get_data(as_text=True)
    before = row_counts(db)
    assert before["cases"] >= 250 and before["ledger_entries"] > before["cases"]

    again = runner.invoke(args=["demo", "--quiet"])
    assert again.exit_code == 0, again.output
    assert again.output == ""
    assert row_counts(db) == before

    # Another day draws the same debtors and invoice numbers, so it adds nothing either; the
    # logins come back all the same.
    logins = load_demo(today=local_today() - timedelta(days=40))
    db.session.commit()
    assert row_counts(db) == before
    assert len(logins) == 7
    assert all(email in first.output for email, _, _ in logins)
