"""`flask handoffs import CLIENT FILE`: the same intake for operators, and what a kill leaves."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import sqlalchemy as sa

from agency.cases.models import Case, Debtor, Invoice
from agency.clients.models import Handoff, HandoffStatus
from agency.clients.tasks import fail_stalled_handoffs
from agency.ledger.models import LedgerEntry
from tests.clients.test_handoffs import ROWS, csv_bytes

ROOT = Path(__file__).resolve().parents[2]


def run(app, *args: str):
    return app.test_cli_runner().invoke(args=["handoffs", "import", *args])


def counts(db) -> dict[str, int]:
    db.session.expire_all()
    return {
        m.__tablename__: db.session.scalar(sa.select(sa.func.count()).select_from(m))
        for m in (Debtor, Invoice, Case, LedgerEntry)
    }


def test_import_by_code_prints_the_report(app, db, make_client, tmp_path):
    app.config["UPLOAD_DIR"] = str(tmp_path / "uploads")
    make_client(code="ACME")
    db.session.commit()
    path = tmp_path / "open.csv"
    path.write_bytes(csv_bytes(ROWS))
    result = run(app, "ACME", str(path))
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["accepted"] is True and report["status"] == "imported"
    assert (report["debtors"], report["invoices"], report["paid_invoices"]) == (2, 4, 1)
    assert report["principal_cents"] == 158451 and report["errors"] == []
    assert counts(db)["invoices"] == 5


def test_dry_run_and_rejection(app, db, make_client, tmp_path):
    app.config["UPLOAD_DIR"] = str(tmp_path / "uploads")
    client = make_client(code="ACME")
    db.session.commit()
    path = tmp_path / "bad.csv"
    path.write_bytes(
        csv_bytes([ROWS[0].replace("1.234,56;1.234,56", "1.234,56;9.999,00"), *ROWS[1:]])
    )
    dry = run(app, str(client.id), str(path), "--dry-run")
    assert dry.exit_code == 1
    report = json.loads(dry.output)
    assert report["accepted"] is False
    assert report["errors"][0]["row"] == 2 and report["errors"][0]["column"] == "Openstaand"
    assert counts(db)["invoices"] == 0
    rejected = run(app, "ACME", str(path))
    assert rejected.exit_code == 1 and counts(db)["invoices"] == 0
    skipped = run(app, "ACME", str(path), "--skip-invalid")
    assert skipped.exit_code == 0, skipped.output
    assert counts(db)["invoices"] == 4  # all but the bad row


def test_an_unknown_client_is_an_error(app):
    result = run(app, "NOPE", __file__)
    assert result.exit_code != 0 and "no client" in result.output


def test_a_killed_import_leaves_nothing_and_is_marked_failed(app, db, make_client, tmp_path):
    """kill -9 in the middle of an import: no half import; the sweeper marks it failed."""
    app.config["UPLOAD_DIR"] = str(tmp_path / "uploads")
    make_client(code="BIG")
    db.session.commit()
    rows = []
    for n in range(60_000):
        rows.append(
            f"{n // 3:06d};Klant {n // 3};Straat 1;1234 AB;Utrecht;;;"
            f"F{n:07d};01-09-2026;15-09-2026;{100 + n % 900},00;{100 + n % 900},00;"
        )
    path = tmp_path / "big.csv"
    path.write_bytes(csv_bytes(rows))
    env = {
        **os.environ,
        "FLASK_APP": "wsgi",
        "AGENCY_ENV": "test",
        "SECRET_KEY": "t",
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "UPLOAD_DIR": app.config["UPLOAD_DIR"],
    }
    env.pop("REDIS_URL", None)
    process = subprocess.Popen(  # noqa: S603 - our own flask executable, fixed arguments
        [str(Path(sys.executable).with_name("flask")), "handoffs", "import", "BIG", str(path)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        db.session.expire_all()
        handoff = db.session.scalar(sa.select(Handoff))
        if handoff is not None and handoff.status is HandoffStatus.IMPORTING:
            break
        time.sleep(0.05)
    else:
        process.kill()
        raise AssertionError("the import never started")
    time.sleep(1.0)  # well into the import of 60,000 rows
    assert process.poll() is None, "the import finished before it could be killed"
    process.send_signal(signal.SIGKILL)
    process.wait(30)
    assert counts(db) == {"debtors": 0, "invoices": 0, "cases": 0, "ledger_entries": 0}
    db.session.expire_all()
    assert db.session.scalar(sa.select(Handoff)).status is HandoffStatus.IMPORTING
    assert fail_stalled_handoffs(now=time.time() + 3600) == 1
    handoff = db.session.scalar(sa.select(Handoff))
    assert handoff.status is HandoffStatus.FAILED and "stopped without finishing" in (
        handoff.failure_reason or ""
    )
