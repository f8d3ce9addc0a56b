"""Commission, remittance runs, the statement PDF and the pain.001 file."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
import sepaxml
import sqlalchemy as sa
import xmlschema
from pypdf import PdfReader

from agency.ledger.commission import AgeTiered, CollectedPrincipal, FlatRate, vat_on
from agency.ledger.models import (
    EntryKind,
    EntrySource,
    LedgerEntry,
    RemittanceLine,
    RemittanceRun,
    RunLocked,
)
from agency.ledger.operations import book_charge, book_reduction, reverse_entry
from agency.ledger.pdf import invoice_pdf, statement_pdf
from agency.ledger.remittance import (
    RemittanceRefused,
    create_run,
    invoice_document,
    statement_document,
)

XSD = Path(sepaxml.__file__).parent / "schemas" / "pain.001.001.03.xsd"
DAY = date(2025, 4, 1)


def test_contracts_compute_commission_on_principal():
    items = [CollectedPrincipal(100_00, 10), CollectedPrincipal(200_00, 400)]
    assert FlatRate(Decimal("15")).commission(items) == 45_00
    tiered = AgeTiered(((0, Decimal("10")), (365, Decimal("25"))))
    assert tiered.commission(items) == 10_00 + 50_00
    assert vat_on(45_00) == 9_45
    assert vat_on(3) == 1  # 0.63 cent rounds half-up to 1


@pytest.fixture
def collected(make_client, make_case, db):
    """A net client and a gross client with payments, costs and a direct payment."""
    net = make_client(name="Net B.V.", iban="NL20INGB0001234567", commission_pct=Decimal("10"))
    gross = make_client(
        name="Gross B.V.",
        iban="NL44RABO0123456789",
        commission_pct=Decimal("20"),
        remittance_mode="gross",
        agency_keeps_costs=False,
    )
    a = make_case(1000_00, client=net)
    book_charge(a, EntryKind.COST, 40_00, booked_on=DAY, source=EntrySource.DUNNING)
    book_reduction(a, EntryKind.PAYMENT, 540_00, booked_on=DAY, source=EntrySource.BANK)
    b = make_case(300_00, client=gross)
    book_charge(b, EntryKind.COST, 40_00, booked_on=DAY, source=EntrySource.DUNNING)
    book_reduction(b, EntryKind.PAYMENT, 140_00, booked_on=DAY, source=EntrySource.BANK)
    book_reduction(b, EntryKind.DIRECT_PAYMENT, 200_00, booked_on=DAY, source=EntrySource.CLIENT)
    db.session.commit()
    return {"net": net, "gross": gross, "a": a, "b": b}


def _line(run: RemittanceRun, client) -> RemittanceLine:
    return next(line for line in run.lines if line.client_id == client.id)


def test_net_and_gross_runs_pay_the_right_amounts(collected, app, db):
    run = create_run(DAY, date(2025, 4, 3), app.config)
    db.session.commit()
    net = _line(run, collected["net"])
    # 540 = 40 costs (kept) + 500 principal; 10% commission = 50, VAT 10.50.
    assert (net.collected_cents, net.kept_cents, net.principal_cents) == (540_00, 40_00, 500_00)
    assert (net.commission_cents, net.vat_cents, net.payout_cents) == (50_00, 10_50, 439_50)
    gross = _line(run, collected["gross"])
    # 140 = 40 costs (passed on) + 100 principal; 200 direct principal; 20% of 300 = 60.
    assert (gross.collected_cents, gross.direct_cents, gross.principal_cents) == (
        140_00,
        200_00,
        300_00,
    )
    assert (gross.payout_cents, gross.commission_cents, gross.invoice_due_cents) == (
        140_00,
        60_00,
        72_60,
    )
    assert run.number == 1


def test_the_pain001_file_validates_against_its_schema(collected, app, db):
    run = create_run(DAY, date(2025, 4, 3), app.config)
    schema = xmlschema.XMLSchema(str(XSD))
    schema.validate(run.sepa_xml)
    doc = schema.to_dict(run.sepa_xml)["CstmrCdtTrfInitn"]
    payments = doc["PmtInf"][0]["CdtTrfTxInf"]
    assert sorted(p["CdtrAcct"]["Id"]["IBAN"] for p in payments) == [
        "NL20INGB0001234567",
        "NL44RABO0123456789",
    ]
    assert doc["GrpHdr"]["CtrlSum"] == Decimal("579.50")


def test_a_run_is_locked_and_corrections_go_into_the_next(collected, app, db):
    run = create_run(DAY, date(2025, 4, 3), app.config)
    db.session.commit()
    with pytest.raises(RemittanceRefused, match="nothing"):
        create_run(DAY, date(2025, 4, 3), app.config)
    line = _line(run, collected["net"])
    line.payout_cents = 1
    with pytest.raises(RunLocked):
        db.session.flush()
    db.session.rollback()
    payment = db.session.scalar(
        sa.select(LedgerEntry).where(
            LedgerEntry.case_id == collected["a"].id, LedgerEntry.kind == EntryKind.PAYMENT
        )
    )
    reverse_entry(payment, booked_on=date(2025, 4, 5), reason="storno")
    second = create_run(date(2025, 4, 30), date(2025, 5, 2), app.config)
    db.session.commit()
    correction = _line(second, collected["net"])
    assert second.number == 2
    assert (correction.collected_cents, correction.commission_cents) == (-540_00, -50_00)
    assert (correction.payout_cents, correction.invoice_due_cents) == (0, 439_50)
    assert _line(run, collected["net"]).payout_cents == 439_50  # the first run is unchanged


def test_the_statement_pdf_lists_every_payment(collected, app, db):
    run = create_run(DAY, date(2025, 4, 3), app.config)
    line = _line(run, collected["gross"])
    text = "".join(
        page.extract_text()
        for page in PdfReader(io.BytesIO(statement_pdf(statement_document(line, app.config)))).pages
    )
    assert collected["b"].reference in text
    assert "140,00" in text and "200,00" in text
    invoice = "".join(
        p.extract_text()
        for p in PdfReader(io.BytesIO(invoice_pdf(invoice_document(line, app.config)))).pages
    )
    assert "72,60" in invoice


def test_a_client_without_iban_cannot_be_paid(make_client, make_case, app, db):
    client = make_client(iban=None)
    case = make_case(100_00, client=client)
    book_reduction(case, EntryKind.PAYMENT, 100_00, booked_on=DAY, source=EntrySource.BANK)
    with pytest.raises(RemittanceRefused, match="no IBAN"):
        create_run(DAY, DAY, app.config)


def test_the_monthly_job_makes_one_run_per_month(collected, app, db):
    from agency.ledger.tasks import monthly_remittance

    assert monthly_remittance("2025-05-01") == 1
    assert monthly_remittance("2025-05-01") is None  # safe to run twice
    run = db.session.scalar(sa.select(RemittanceRun))
    assert run.cutoff_on == date(2025, 4, 30) and len(run.lines) == 2
    assert monthly_remittance("2025-06-01") is None  # nothing collected since
