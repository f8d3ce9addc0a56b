"""The reports' fixed book: two clients whose figures are worked out by hand (test_figures.py),
and a real SMTP server for the monthly mailing (test_mailing.py).

Client A (as of 30 June 2026), first handoff 1 March 2026:
- debtor 1 paid two invoices before handoff: H1 EUR 1,000 (invoiced 1-7-2025, paid 15-8-2025)
  and H2 EUR 2,000 (invoiced 1-10-2025, paid 10-1-2026); it handed over I1 EUR 3,000
  (invoiced 1-12-2025, due 31-12-2025), paid us EUR 1,000 on 10-4-2026 (a promise kept), and
  accepted a payment term of 14 instead of 30 days on 1-4-2026; an arrangement runs with
  instalments of EUR 500 on 15-7 and 15-8-2026 (and one beyond 13 weeks, 15-10-2026).
- debtor 2 handed over I2 EUR 500 (invoiced 15-1-2026, due 14-2-2026) and I3 EUR 400
  (invoiced 1-2-2026, due 31-5-2026); EUR 40 costs booked 1-4-2026; it paid the client EUR 100
  directly on 5-5-2026 (costs first: EUR 40, then EUR 60 of I2); it broke a EUR 300 promise
  and made a new one of EUR 200 for 8-7-2026.
Client B has one case of EUR 777.77 and a payment of EUR 111.11: none of it may show in A's.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest
from aiosmtpd.controller import Controller

from agency.cases.models import CaseStatus, Invoice
from agency.cases.operations import open_case, transition
from agency.contact_log.models import (
    Arrangement,
    ArrangementStatus,
    Instalment,
    PaymentTermAgreement,
    Promise,
    PromiseStatus,
)
from agency.extensions import db as _db
from agency.ledger.models import EntryKind, EntrySource
from agency.ledger.operations import book_charge, book_reduction, record_direct_payment
from tests.letters.conftest import Mailbox, free_port

AS_OF = date(2026, 6, 30)
HANDOFF = date(2026, 3, 1)


def _invoice(client, debtor, number, invoiced, due, cents, *, case=None, paid_on=None):
    invoice = Invoice(
        client_id=client.id,
        debtor_id=debtor.id,
        case_id=case.id if case else None,
        number=number,
        invoice_date=invoiced,
        due_date=due,
        amount_cents=cents,
        paid_on=paid_on,
    )
    _db.session.add(invoice)
    _db.session.flush()
    if case is not None:
        book_charge(
            case,
            EntryKind.PRINCIPAL,
            cents,
            invoice=invoice,
            booked_on=HANDOFF,
            source=EntrySource.HANDOFF,
        )
    return invoice


def _promise(case, amount, made, promised, status, settled=None):
    _db.session.add(
        Promise(
            client_id=case.client_id,
            case_id=case.id,
            debtor_id=case.debtor_id,
            amount_cents=amount,
            made_on=made,
            promised_on=promised,
            status=status,
            settled_on=settled,
        )
    )


@pytest.fixture
def book(make_client, make_debtor, db):
    a = make_client(name="Client A")
    b = make_client(name="Client B")
    d1, d2 = make_debtor(a), make_debtor(a)
    _invoice(a, d1, "H1", date(2025, 7, 1), date(2025, 7, 31), 1000_00, paid_on=date(2025, 8, 15))
    _invoice(a, d1, "H2", date(2025, 10, 1), date(2025, 10, 31), 2000_00, paid_on=date(2026, 1, 10))
    case1 = open_case(a, d1, opened_on=HANDOFF)
    _invoice(a, d1, "I1", date(2025, 12, 1), date(2025, 12, 31), 3000_00, case=case1)
    case2 = open_case(a, d2, opened_on=HANDOFF)
    _invoice(a, d2, "I2", date(2026, 1, 15), date(2026, 2, 14), 500_00, case=case2)
    _invoice(a, d2, "I3", date(2026, 2, 1), date(2026, 5, 31), 400_00, case=case2)
    for case in (case1, case2):
        transition(case, CaseStatus.DUNNING, on=HANDOFF)
    book_charge(
        case2, EntryKind.COST, 40_00, booked_on=date(2026, 4, 1), source=EntrySource.DUNNING
    )
    book_reduction(
        case1, EntryKind.PAYMENT, 1000_00, booked_on=date(2026, 4, 10), source=EntrySource.PAYLINK
    )
    record_direct_payment(case2, 100_00, paid_on=date(2026, 5, 5), today=date(2026, 5, 6))
    _promise(
        case1, 1000_00, date(2026, 4, 1), date(2026, 4, 10), PromiseStatus.KEPT, date(2026, 4, 13)
    )
    _promise(
        case2, 300_00, date(2026, 5, 1), date(2026, 5, 15), PromiseStatus.BROKEN, date(2026, 5, 20)
    )
    _promise(case2, 200_00, date(2026, 6, 20), date(2026, 7, 8), PromiseStatus.OPEN)
    arrangement = Arrangement(
        client_id=a.id,
        case_id=case1.id,
        debtor_id=d1.id,
        status=ArrangementStatus.ACTIVE,
        total_cents=1500_00,
        made_on=date(2026, 6, 1),
    )
    arrangement.instalments = [
        Instalment(seq=i + 1, due_on=day, amount_cents=500_00)
        for i, day in enumerate([date(2026, 7, 15), date(2026, 8, 15), date(2026, 10, 15)])
    ]
    _db.session.add(arrangement)
    _db.session.add(
        PaymentTermAgreement(
            client_id=a.id,
            case_id=case1.id,
            debtor_id=d1.id,
            old_days=30,
            new_days=14,
            agreed_on=date(2026, 4, 1),
        )
    )
    # Client B: the same kinds of rows, different amounts.
    d3 = make_debtor(b)
    case3 = open_case(b, d3, opened_on=date(2026, 1, 5))
    _invoice(b, d3, "I1", date(2025, 6, 1), date(2025, 7, 1), 777_77, case=case3)
    transition(case3, CaseStatus.DUNNING, on=date(2026, 1, 5))
    book_reduction(
        case3, EntryKind.PAYMENT, 111_11, booked_on=date(2026, 4, 2), source=EntrySource.BANK
    )
    _promise(
        case3, 555_55, date(2026, 4, 1), date(2026, 4, 9), PromiseStatus.KEPT, date(2026, 4, 9)
    )
    _db.session.commit()
    return {"a": a, "b": b, "case1": case1, "case2": case2, "case3": case3, "d1": d1}


@pytest.fixture
def smtp_server(app) -> Iterator[Mailbox]:
    """An SMTP server on 127.0.0.1 that the app sends its e-mail to (the letters tests' box)."""
    mailbox = Mailbox()
    port = free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    app.config.update(
        MAIL_SERVER="127.0.0.1", MAIL_PORT=port, MAIL_USE_TLS=False, MAIL_USE_SSL=False
    )
    yield mailbox
    controller.stop()
