"""The trust reconciliation: statements against the ledger, on test files and on the demo."""

from __future__ import annotations

import re
from datetime import date

import sqlalchemy as sa

from agency.demo import load_demo
from agency.ledger.matching import import_statement
from agency.ledger.models import (
    BankStatement,
    BankTransaction,
    RemittanceRun,
    TransactionStatus,
)
from agency.ledger.queries import reconcile
from tests.money.conftest import ACCOUNT, OFFICE, statement


def test_charges_explain_the_difference_after_the_test_statements(paid_cases, db):
    for name in ("camt053_2026-03-02.xml", "mt940_2026-03-03.sta"):
        import_statement(statement(name), name, account_iban=ACCOUNT, office_iban=OFFICE)
    rec = reconcile()
    assert rec.bank_cents == 1584_70
    assert rec.brought_forward == 1000_00
    # 250 + 150 + 123.45 + 80 booked, 150 reversed; 75 and 60 wait for an operator.
    assert rec.collected_unremitted == 453_45
    assert rec.suspense == 135_00
    assert rec.difference == -3_75
    charges = next(e for e in rec.explanations if e.key == "charges")
    assert charges.cents == -3_75 and len(charges.items) == 2
    assert rec.unexplained == 0


def test_the_demo_month_balances_to_zero(app, db, client, login_as):
    load_demo(today=date(2026, 3, 2))
    db.session.commit()
    rec = reconcile()
    assert db.session.scalar(sa.select(sa.func.count(RemittanceRun.id))) == 1
    statuses = set(db.session.scalars(sa.select(BankTransaction.status)))
    assert {
        TransactionStatus.BOOKED,
        TransactionStatus.UNMATCHED,
        TransactionStatus.PAYOUT,
        TransactionStatus.COMMISSION,
        TransactionStatus.REFUND,
    } <= statuses
    assert rec.bank_cents > 0 and rec.suspense == 42_50
    assert rec.difference == 0 and rec.unexplained == 0
    statements = db.session.scalars(sa.select(BankStatement).order_by(BankStatement.id)).all()
    for earlier, later in zip(statements, statements[1:], strict=False):
        assert later.opening_cents == earlier.closing_cents

    login_as("supervisor")
    page = client.get("/money/reconciliation").get_data(as_text=True)
    for testid in ("difference", "unexplained"):
        assert re.search(rf'data-testid="{testid}">€\s0,00<', page), testid
    assert re.search(r'data-testid="bank">€\s[1-9]', page)

    before = db.session.scalar(sa.select(sa.func.count(BankTransaction.id)))
    load_demo(today=date(2026, 3, 2))
    db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count(BankTransaction.id))) == before
