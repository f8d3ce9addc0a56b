"""The client-money pages as a supervisor and a client user use them."""

from __future__ import annotations

import io
from datetime import date

import sqlalchemy as sa
import xmlschema

from agency.cases.models import CaseStatus
from agency.ledger.matching import import_statement
from agency.ledger.models import (
    BankStatement,
    BankTransaction,
    EntryKind,
    LedgerEntry,
    RemittanceRun,
    TransactionStatus,
)
from agency.ledger.queries import case_balance
from tests.money.conftest import ACCOUNT, OFFICE, statement
from tests.money.test_remittance import XSD

CONFIG = {"AGENCY_IBAN": ACCOUNT, "AGENCY_OFFICE_IBAN": OFFICE}


def _upload(client, name: str):
    token = client.csrf_token("/money/statements")
    response = client.post(
        "/money/statements",
        data={"csrf_token": token, "statement": (io.BytesIO(statement(name)), name)},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    return client.get(response.headers["Location"])


def test_upload_match_split_and_return_on_the_pages(client, login_as, paid_cases, db, app):
    app.config.update(CONFIG)
    login_as("supervisor")
    page = _upload(client, "camt053_2026-03-02.xml").get_data(as_text=True)
    assert "3 credits booked" in page or "3 ontvangsten geboekt" in page
    again = _upload(client, "camt053_2026-03-02.xml").get_data(as_text=True)
    assert "nothing was booked again" in again or "niets opnieuw geboekt" in again
    assert db.session.scalar(sa.select(sa.func.count(BankStatement.id))) == 1

    unmatched = client.get("/money/unmatched").get_data(as_text=True)
    assert "K. Onbekend" in unmatched
    txn = db.session.scalar(
        sa.select(BankTransaction).where(BankTransaction.status == TransactionStatus.UNMATCHED)
    )
    b, d = paid_cases["B"], paid_cases["D"]
    token = client.csrf_token("/money/unmatched")
    # Parts that do not add up are refused and change nothing.
    client.post(
        f"/money/transactions/{txn.id}/match",
        data={
            "csrf_token": token,
            "parts-0-reference": b.reference,
            "parts-0-amount": "50,00",
            "parts-1-reference": d.reference,
            "parts-1-amount": "20,00",
        },
    )
    assert txn.status is TransactionStatus.UNMATCHED
    assert case_balance(d.id).total == 80_00
    client.post(
        f"/money/transactions/{txn.id}/match",
        data={
            "csrf_token": token,
            "parts-0-reference": b.reference,
            "parts-0-amount": "55,00",
            "parts-1-reference": d.reference,
            "parts-1-amount": "20,00",
        },
    )
    assert txn.status is TransactionStatus.BOOKED
    assert case_balance(b.id).total == 400_00 - 150_00 - 55_00
    assert case_balance(d.id).total == 60_00

    _upload(client, "mt940_2026-03-03.sta")
    second = db.session.scalar(
        sa.select(BankTransaction).where(BankTransaction.status == TransactionStatus.UNMATCHED)
    )
    client.post(f"/money/transactions/{second.id}/return", data={"csrf_token": token})
    assert second.status is TransactionStatus.UNMATCHED  # a reason is required
    client.post(
        f"/money/transactions/{second.id}/return",
        data={"csrf_token": token, "reason": "onbekende betaler"},
    )
    assert second.status is TransactionStatus.RETURNED
    assert client.post(f"/money/transactions/{second.id}/return", data={}).status_code == 400


def test_a_run_on_demand_with_its_downloads(client, login_as, paid_cases, db, app):
    app.config.update(CONFIG)
    login_as("supervisor")
    _upload(client, "camt053_2026-03-02.xml")
    token = client.csrf_token("/money/runs")
    response = client.post(
        "/money/runs",
        data={
            "csrf_token": token,
            "cutoff": "2026-03-31",
            "execution": "2026-04-02",
            "client": str(paid_cases["A"].client_id),
        },
    )
    assert response.status_code == 302
    run = db.session.scalar(sa.select(RemittanceRun))
    assert run.number == 1 and run.execution_on == date(2026, 4, 2)
    detail = client.get(f"/money/runs/{run.id}").get_data(as_text=True)
    assert "Bakkerij Jansen B.V." in detail
    sepa = client.get(f"/money/runs/{run.id}/sepa.xml")
    xmlschema.XMLSchema(str(XSD)).validate(sepa.get_data(as_text=True))
    client_id = paid_cases["A"].client_id
    pdf = client.get(f"/money/runs/{run.id}/clients/{client_id}/statement.pdf")
    assert pdf.mimetype == "application/pdf" and pdf.data.startswith(b"%PDF")
    invoice = client.get(f"/money/runs/{run.id}/clients/{client_id}/invoice.pdf")
    assert invoice.data.startswith(b"%PDF")
    # Nothing new: a second run is refused with a message, and no run is made.
    client.post(
        "/money/runs",
        data={"csrf_token": token, "cutoff": "2026-03-31", "execution": "2026-04-02"},
    )
    assert db.session.scalar(sa.select(sa.func.count(RemittanceRun.id))) == 1
    rec = client.get("/money/reconciliation").get_data(as_text=True)
    assert 'data-testid="unexplained"' in rec


def test_the_client_reports_a_direct_payment(client, login_as, make_case, make_client, db):
    creditor = make_client()
    case = make_case(300_00, client=creditor)
    login_as("client", creditor)
    page = client.get(f"/portal/cases/{case.id}/direct-payment")
    assert page.status_code == 200
    token = client.csrf_token(f"/portal/cases/{case.id}/direct-payment")
    too_much = client.post(
        f"/portal/cases/{case.id}/direct-payment",
        data={"csrf_token": token, "amount": "400,00", "paid_on": "2025-03-05"},
    )
    assert too_much.status_code == 200
    assert (
        db.session.scalar(
            sa.select(sa.func.count(LedgerEntry.id)).where(
                LedgerEntry.kind == EntryKind.DIRECT_PAYMENT
            )
        )
        == 0
    )
    done = client.post(
        f"/portal/cases/{case.id}/direct-payment",
        data={"csrf_token": token, "amount": "300,00", "paid_on": "2025-03-05", "note": "kas"},
    )
    assert done.status_code == 302
    entry = db.session.scalar(
        sa.select(LedgerEntry).where(LedgerEntry.kind == EntryKind.DIRECT_PAYMENT)
    )
    assert entry.amount_cents == -300_00 and entry.booked_on == date(2025, 3, 5)
    assert case.status is CaseStatus.PAID


def test_agents_do_not_reach_client_money(client, login_as):
    login_as("agent")
    assert client.get("/money/unmatched").status_code == 403


def test_the_client_sees_its_remittances(client, login_as, paid_cases, db, app):
    from agency.ledger.remittance import create_run

    app.config.update(CONFIG)
    import_statement(
        statement("camt053_2026-03-02.xml"), "s.xml", account_iban=ACCOUNT, office_iban=OFFICE
    )
    run = create_run(date(2026, 3, 31), date(2026, 4, 2), app.config)
    db.session.commit()
    creditor = paid_cases["A"].client
    line = run.lines[0]
    login_as("client", creditor)
    page = client.get("/portal/remittances").get_data(as_text=True)
    assert f"/portal/remittances/{line.id}/statement.pdf" in page
    pdf = client.get(f"/portal/remittances/{line.id}/statement.pdf")
    assert pdf.data.startswith(b"%PDF")
    assert client.get(f"/portal/remittances/{line.id}/invoice.pdf").data.startswith(b"%PDF")
