"""How fast the ledger books and allocates payments, against raw inserts of the same rows.

`ledger.payments_per_s`: payments booked through `book_reduction` (allocation by art. 6:44 and
6:43 BW, audit event, case re-evaluation), one transaction per payment as a webhook would.
The limit is the same number of ledger, allocation and audit rows written with plain
`executemany` INSERTs in one transaction per payment, on the same database in the same run.
Set BENCH_DATABASE_URL to measure on PostgreSQL (the database is emptied).
"""

from __future__ import annotations

import os
import tempfile
import time
from datetime import date
from pathlib import Path

import sqlalchemy as sa

PAYMENTS = 1500


def _app(url: str):
    import flask_migrate

    from agency import create_app

    app = create_app(
        {
            "AGENCY_ENV": "test",
            "SECRET_KEY": "bench",
            "SQLALCHEMY_DATABASE_URI": url,
            "REDIS_URL": None,
            "JOBS_RUN_PERIODIC": False,
        }
    )
    with app.app_context():
        from agency.extensions import db

        if url.startswith("postgresql"):
            with db.engine.begin() as conn:
                conn.execute(sa.text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        flask_migrate.upgrade()
    return app


def _cases(db, n: int) -> list[int]:
    from agency.cases.models import Debtor, DebtorKind, Invoice
    from agency.cases.operations import open_case
    from agency.clients.models import Client
    from agency.ledger.models import EntryKind, EntrySource
    from agency.ledger.operations import book_charge

    client = Client(code="BENCH", name="Bench B.V.")
    db.session.add(client)
    db.session.flush()
    ids = []
    for i in range(n):
        debtor = Debtor(
            client_id=client.id, debtor_code=f"D{i}", kind=DebtorKind.COMPANY, name=f"Debtor {i}"
        )
        db.session.add(debtor)
        db.session.flush()
        case = open_case(client, debtor, opened_on=date(2025, 3, 1))
        for k in range(3):
            inv = Invoice(
                client_id=client.id,
                debtor_id=debtor.id,
                case_id=case.id,
                number=f"I{i}-{k}",
                invoice_date=date(2025, 1, 1 + k),
                due_date=date(2025, 2, 1 + k),
                amount_cents=100_000,
            )
            db.session.add(inv)
            db.session.flush()
            book_charge(
                case,
                EntryKind.PRINCIPAL,
                100_000,
                invoice=inv,
                booked_on=date(2025, 3, 1),
                source=EntrySource.HANDOFF,
            )
        book_charge(
            case, EntryKind.COST, 4_000, booked_on=date(2025, 3, 1), source=EntrySource.DUNNING
        )
        ids.append(case.id)
    db.session.commit()
    return ids


def payments_per_s(emit) -> None:
    url = os.environ.get("BENCH_DATABASE_URL")
    with tempfile.TemporaryDirectory() as tmp:
        url = url or f"sqlite:///{Path(tmp) / 'bench.db'}"
        app = _app(url)
        with app.app_context():
            from agency.cases.models import Case
            from agency.extensions import db
            from agency.ledger.models import EntryKind, EntrySource
            from agency.ledger.operations import book_reduction

            case_ids = _cases(db, PAYMENTS // 3)
            started = time.perf_counter()
            for i in range(PAYMENTS):
                case = db.session.get(Case, case_ids[i % len(case_ids)])
                book_reduction(
                    case,
                    EntryKind.PAYMENT,
                    2_500,
                    booked_on=date(2025, 4, 1),
                    source=EntrySource.BANK,
                )
                db.session.commit()
            elapsed = time.perf_counter() - started
            value = PAYMENTS / elapsed

            # The limit: the same rows, written raw, one transaction per payment.
            started = time.perf_counter()
            with db.engine.connect() as conn:
                for i in range(PAYMENTS):
                    case_id = case_ids[i % len(case_ids)]
                    with conn.begin():
                        entry_id = conn.execute(
                            sa.text(
                                "INSERT INTO ledger_entries (client_id, case_id, kind, "
                                "amount_cents, booked_on, source, created_at) VALUES (1, :c, "
                                "'payment', -2500, '2025-04-02', 'bank', CURRENT_TIMESTAMP) "
                                "RETURNING id"
                            ),
                            {"c": case_id},
                        ).scalar_one()
                        conn.execute(
                            sa.text(
                                "INSERT INTO allocations (entry_id, client_id, kind, booked_on, "
                                "component, amount_cents) "
                                "VALUES (:e, 1, 'payment', '2025-04-02', 'principal', 2500)"
                            ),
                            [{"e": entry_id}],
                        )
                        conn.execute(
                            sa.text(
                                "INSERT INTO audit_events (created_at, actor_label, action, "
                                "object_type, object_id, data) VALUES (CURRENT_TIMESTAMP, "
                                "'system', 'ledger.reduction', 'ledger_entries', :e, '{}')"
                            ),
                            {"e": entry_id},
                        )
            limit = PAYMENTS / (time.perf_counter() - started)
            backend = db.engine.dialect.name
            db.engine.dispose()
    emit(
        "ledger.payments_per_s",
        value,
        "payments/s",
        limit=round(limit, 1),
        ratio=round(value / limit, 3),
        database=backend,
        limit_is="raw INSERTs of the same rows, one transaction per payment",
    )


BENCHMARKS = {"ledger.payments_per_s": payments_per_s}
