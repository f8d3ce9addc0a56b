"""Statements in: real-format CAMT.053 and MT940 files are read, matched and booked once."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from agency.cases.models import CaseStatus
from agency.ledger.matching import book_credit, import_statement, references_in, return_credit
from agency.ledger.models import (
    BankStatement,
    BankTransaction,
    EntryKind,
    LedgerEntry,
    MatchMethod,
    TransactionStatus,
)
from agency.ledger.queries import case_balance
from agency.ledger.statements import StatementRejected, read_statement
from tests.money.conftest import ACCOUNT, OFFICE, statement

T = TransactionStatus


def _import(name: str):
    return import_statement(statement(name), name, account_iban=ACCOUNT, office_iban=OFFICE)


def _lines(db) -> dict[str, BankTransaction]:
    rows = db.session.scalars(sa.select(BankTransaction).order_by(BankTransaction.id)).all()
    return {row.bank_reference: row for row in rows}


def test_camt053_is_read_with_balances_and_both_kinds_of_reference():
    parsed = read_statement(statement("camt053_2026-03-02.xml"))
    assert parsed.account_iban == ACCOUNT
    assert (parsed.opening_cents, parsed.closing_cents) == (1000_00, 1595_95)
    assert parsed.opening_cents + sum(line.amount_cents for line in parsed.lines) == 1595_95
    assert [line.reference for line in parsed.lines][:2] == ["5200310000001740", None]
    assert parsed.lines[1].remittance == "Betaling dossier 5200 3100 0000 2419 factuur F-77"
    assert parsed.lines[4].amount_cents == -2_50 and parsed.lines[4].is_charge


def test_mt940_is_read_with_its_reversal_and_structured_reference():
    parsed = read_statement(statement("mt940_2026-03-03.sta"))
    assert (parsed.opening_cents, parsed.closing_cents) == (1595_95, 1584_70)
    assert parsed.opening_cents + sum(line.amount_cents for line in parsed.lines) == 1584_70
    assert parsed.lines[0].reference == "5200310000004844"
    reversal = parsed.lines[1]
    assert reversal.is_reversal and reversal.amount_cents == -150_00
    assert reversal.remittance == "Betaling dossier 5200 3100 0000 2419 factuur F-77"
    assert parsed.lines[0].counterparty_name == "A. de Groot"


def test_references_are_found_in_free_text_only_with_valid_check_digits():
    assert references_in("dossier 5200 3100 0000 2419 fact 1") == ["5200310000002419"]
    assert references_in("5200.3100.0000.1740") == ["5200310000001740"]
    assert references_in("5200310000001741 and 12345") == []


def test_credits_are_matched_booked_and_the_unknown_payer_waits(paid_cases, db):
    result = _import("camt053_2026-03-02.xml")
    db.session.commit()
    assert (result.booked, result.unmatched, result.debits) == (3, 1, 1)
    lines = _lines(db)
    assert lines["2026030200001"].matched_by is MatchMethod.REFERENCE
    assert lines["2026030200002"].matched_by is MatchMethod.REFERENCE
    assert lines["2026030200003"].matched_by is MatchMethod.IBAN_AMOUNT
    assert lines["2026030200004"].status is T.UNMATCHED
    assert lines["2026030200005"].status is T.CHARGE
    a, b, c = paid_cases["A"], paid_cases["B"], paid_cases["C"]
    assert a.status is CaseStatus.PAID and c.status is CaseStatus.PAID
    assert case_balance(b.id).total == 250_00
    payments = db.session.scalars(
        sa.select(LedgerEntry).where(LedgerEntry.kind == EntryKind.PAYMENT)
    ).all()
    assert sorted(-p.amount_cents for p in payments) == [123_45, 150_00, 250_00]


def test_the_same_statement_twice_books_nothing_twice(paid_cases, db):
    _import("camt053_2026-03-02.xml")
    db.session.commit()
    entries = db.session.scalar(sa.select(sa.func.count(LedgerEntry.id)))
    again = _import("camt053_2026-03-02.xml")
    db.session.commit()
    assert again.duplicate and again.new_lines == 0
    assert db.session.scalar(sa.select(sa.func.count(BankStatement.id))) == 1
    assert db.session.scalar(sa.select(sa.func.count(LedgerEntry.id))) == entries


def test_a_line_repeated_in_another_file_is_skipped(paid_cases, db):
    _import("camt053_2026-03-02.xml")
    data = statement("camt053_2026-03-02.xml").replace(
        b"<MsgId>ABNA20260302180000061</MsgId>", b"<MsgId>ABNA-RESENT</MsgId>"
    )
    result = import_statement(data, "resent.xml", account_iban=ACCOUNT)
    assert not result.duplicate
    assert (result.new_lines, result.skipped_lines, result.booked) == (0, 5, 0)


def test_the_reversal_undoes_the_booking_and_the_next_day_matches(paid_cases, db):
    _import("camt053_2026-03-02.xml")
    result = _import("mt940_2026-03-03.sta")
    db.session.commit()
    assert (result.booked, result.unmatched, result.debits) == (1, 1, 2)
    lines = _lines(db)
    reversal = lines["2026030300002"]
    assert reversal.status is T.REVERSAL
    assert reversal.related_id == lines["2026030200002"].id
    assert case_balance(paid_cases["B"].id).total == 400_00  # the 150 came back off
    assert paid_cases["D"].status is CaseStatus.PAID
    assert lines["2026030300004"].status is T.CHARGE


def test_an_operator_splits_and_returns_credits(paid_cases, db, make_user):
    _import("camt053_2026-03-02.xml")
    _import("mt940_2026-03-03.sta")
    operator = make_user("supervisor")
    lines = _lines(db)
    unknown, second = lines["2026030200004"], lines["2026030300003"]
    b = paid_cases["B"]
    with pytest.raises(Exception, match="add up"):
        book_credit(unknown, [(b, 70_00)], MatchMethod.OPERATOR, actor=operator)
    book_credit(unknown, [(b, 75_00)], MatchMethod.OPERATOR, actor=operator)
    return_credit(second, "not ours", actor=operator)
    db.session.commit()
    assert unknown.status is T.BOOKED and second.status is T.RETURNED
    assert case_balance(b.id).total == 325_00


def test_a_statement_of_another_account_is_refused(paid_cases, db):
    with pytest.raises(StatementRejected, match="client-money account"):
        import_statement(
            statement("camt053_2026-03-02.xml"), "x.xml", account_iban="NL02ABNA0123456789"
        )
    assert db.session.scalar(sa.select(sa.func.count(BankStatement.id))) == 0


@pytest.mark.parametrize(
    "data, message",
    [
        (b"hello", "neither"),
        (b"<Document><x/></Document>", "not a CAMT.053"),
        (b"<Document", "cannot be read"),
    ],
)
def test_unreadable_files_are_refused_with_a_reason(data, message):
    with pytest.raises(StatementRejected, match=message):
        read_statement(data)
