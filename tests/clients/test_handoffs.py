"""The handoff intake end to end through the portal: upload, map, check, confirm, import."""

from __future__ import annotations

import io
import re

import pytest
import sqlalchemy as sa

from agency import jobs
from agency.cases.models import Case, CaseStatus, Debtor, Invoice
from agency.clients.intake import importer
from agency.clients.models import Handoff, HandoffStatus, HeaderMapping
from agency.ledger.models import EntryKind, LedgerEntry
from agency.ledger.queries import case_balance, invoice_open_principal

HEADER = (
    "Debiteurnummer;Naam;Adres;Postcode;Plaats;E-mail;Telefoon;Factuurnummer;Factuurdatum;"
    "Vervaldatum;Bedrag;Openstaand;Betaald op"
)
ROWS = [
    "10001;Jansen Installatie B.V.;Dorpsstraat 1;1234ab;Utrecht;info@jansen-installatie.nl;"
    "0612345678;F-001;01-09-2026;15-09-2026;1.234,56;1.234,56;",
    "10001;Jansen Installatie B.V.;Dorpsstraat 1;1234ab;Utrecht;info@jansen-installatie.nl;"
    "0612345678;F-002;05-09-2026;19-09-2026;€ 500,-;250,00;",
    "10001;Jansen Installatie B.V.;Dorpsstraat 1;1234ab;Utrecht;info@jansen-installatie.nl;"
    "0612345678;F-000;01-06-2026;15-06-2026;300,00;0;20-07-2026",
    "10002;Pieter de Boer;Kerkweg 12;2511 CV;Den Haag;pieter@deboer.nl;070-1234567;F-003;"
    "10-08-2026;24-08-2026;99,95;99,95;",
    "10002;Pieter de Boer;Kerkweg 12;2511 CV;Den Haag;pieter@deboer.nl;070-1234567;C-004;"
    "12-08-2026;12-08-2026;-20,00;-20,00;",
    ";;;;;;;;;Totaal;1.814,51;;",
]


def csv_bytes(rows: list[str], header: str = HEADER, encoding: str = "utf-8") -> bytes:
    return ("\r\n".join([header, *rows]) + "\r\n").encode(encoding)


@pytest.fixture
def portal(client, login_as, make_client, db):
    owner = make_client(code="JANSEN", name="Bakkerij Jansen B.V.")
    db.session.commit()
    login_as("client", owner)
    return owner


def upload(client, data: bytes, filename: str = "openstaand.csv"):
    token = client.csrf_token("/portal/handoffs/new")
    return client.post(
        "/portal/handoffs/new",
        data={"file": (io.BytesIO(data), filename), "csrf_token": token},
        content_type="multipart/form-data",
    )


def wait_for_jobs(app) -> None:
    assert jobs.backend_for(app).wait_idle(30)


def handoff_id(response) -> int:
    return int(re.search(r"/portal/handoffs/(\d+)", response.headers["Location"]).group(1))


def confirm(client, hid: int, skip_invalid: bool = False):
    token = client.csrf_token(f"/portal/handoffs/{hid}")
    data = {"csrf_token": token}
    if skip_invalid:
        data["skip_invalid"] = "y"
    return client.post(f"/portal/handoffs/{hid}/confirm", data=data)


@pytest.fixture(params=["one batch", "batches of two rows"])
def batches(request, monkeypatch):
    """Run a test as is, and again with the check and import working two rows at a time."""
    if request.param != "one batch":
        monkeypatch.setattr(importer, "BATCH_ROWS", 2)
    return request.param


def test_upload_check_confirm_and_import(app, db, client, portal, batches):
    response = upload(client, csv_bytes(ROWS))
    assert response.status_code == 302
    hid = handoff_id(response)
    wait_for_jobs(app)
    page = client.get(f"/portal/handoffs/{hid}").get_data(as_text=True)
    handoff = db.session.get(Handoff, hid)
    assert handoff.status is HandoffStatus.VALIDATED
    report = handoff.report
    assert (report["debtors"], report["invoices"], report["paid_invoices"]) == (2, 4, 1)
    assert report["principal_cents"] == 123456 + 25000 + 9995
    assert report["skipped_total_rows"] == [7]
    assert "€\xa01.584,51" in page  # the principal the client is about to hand over
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Invoice)) == 0  # not yet

    assert confirm(client, hid).status_code == 302
    wait_for_jobs(app)
    db.session.expire_all()
    assert db.session.get(Handoff, hid).status is HandoffStatus.IMPORTED
    jansen = db.session.scalar(sa.select(Debtor).where(Debtor.debtor_code == "10001"))
    assert (jansen.email, jansen.phone, jansen.postcode) == (
        "info@jansen-installatie.nl",
        "+31612345678",
        "1234 AB",
    )
    case = db.session.scalar(sa.select(Case).where(Case.debtor_id == jansen.id))
    assert case.status is CaseStatus.NEW and case.client_id == portal.id
    invoices = {i.number: i for i in db.session.scalars(sa.select(Invoice))}
    assert invoices["F-002"].paid_before_handoff_cents == 25000
    assert invoices["F-000"].paid_on is not None and invoices["F-000"].case_id is None
    assert invoice_open_principal(case.id) == {
        invoices["F-001"].id: 123456,
        invoices["F-002"].id: 25000,
    }
    boer_case = invoices["F-003"].case
    assert case_balance(boer_case.id).principal == 9995 - 2000  # the credit note is booked
    assert 'data-testid="imported"' in client.get(f"/portal/handoffs/{hid}").get_data(as_text=True)


def test_the_same_file_twice_changes_nothing_and_says_so(app, db, client, portal):
    data = csv_bytes(ROWS)
    first = handoff_id(upload(client, data))
    wait_for_jobs(app)
    confirm(client, first)
    wait_for_jobs(app)
    counts = {
        t: db.session.scalar(sa.select(sa.func.count()).select_from(m))
        for t, m in (("invoices", Invoice), ("cases", Case), ("ledger", LedgerEntry))
    }
    second = handoff_id(upload(client, data))
    wait_for_jobs(app)
    again = db.session.get(Handoff, second)
    assert again.status is HandoffStatus.DUPLICATE and again.duplicate_of_id == first
    page = client.get(f"/portal/handoffs/{second}").get_data(as_text=True)
    assert 'data-testid="duplicate"' in page
    assert {
        t: db.session.scalar(sa.select(sa.func.count()).select_from(m))
        for t, m in (("invoices", Invoice), ("cases", Case), ("ledger", LedgerEntry))
    } == counts


def test_a_changed_open_amount_becomes_an_adjustment(app, db, client, portal, batches):
    confirm(client, handoff_id(upload(client, csv_bytes(ROWS))))  # not checked yet: refused
    wait_for_jobs(app)
    hid = db.session.scalar(sa.select(sa.func.max(Handoff.id)))
    confirm(client, hid)
    wait_for_jobs(app)
    changed = [r.replace("99,95;99,95;", "99,95;49,95;") for r in ROWS]
    second = handoff_id(upload(client, csv_bytes(changed)))
    wait_for_jobs(app)
    assert db.session.get(Handoff, second).report["invoices_changed"] == 1
    confirm(client, second)
    wait_for_jobs(app)
    invoice = db.session.scalar(sa.select(Invoice).where(Invoice.number == "F-003"))
    adjustments = db.session.scalars(
        sa.select(LedgerEntry).where(LedgerEntry.kind == EntryKind.ADJUSTMENT)
    ).all()
    assert [(a.invoice_id, a.amount_cents) for a in adjustments] == [(invoice.id, -5000)]
    # 99,95 handed over, 20,00 credit note set off against it, now 50,00 less by the client.
    assert invoice_open_principal(invoice.case_id)[invoice.id] == 9995 - 2000 - 5000
    assert (
        db.session.scalar(
            sa.select(sa.func.count()).select_from(Debtor).where(Debtor.client_id == portal.id)
        )
        == 2
    )


def test_bad_rows_are_reported_and_nothing_is_stored(app, db, client, portal):
    bad = list(ROWS)
    bad[0] = bad[0].replace("15-09-2026", "31-02-2026")
    bad[3] = bad[3].replace("99,95;99,95", "99,95;199,95")
    hid = handoff_id(upload(client, csv_bytes(bad)))
    wait_for_jobs(app)
    handoff = db.session.get(Handoff, hid)
    errors = {(e["row"], e["column"]) for e in handoff.report["errors"]}
    assert (2, "Vervaldatum") in errors and (5, "Openstaand") in errors
    page = client.get(f"/portal/handoffs/{hid}").get_data(as_text=True)
    assert "31-02-2026" in page
    csv_text = client.get(f"/portal/handoffs/{hid}/errors.csv").get_data(as_text=True)
    assert csv_text.startswith("\ufeffrow;column;message") and "Vervaldatum" in csv_text
    refused = confirm(client, hid)
    assert refused.status_code == 302
    wait_for_jobs(app)
    assert db.session.get(Handoff, hid).status is HandoffStatus.VALIDATED
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Invoice)) == 0
    # The client may import only the valid rows.
    confirm(client, hid, skip_invalid=True)
    wait_for_jobs(app)
    assert db.session.get(Handoff, hid).status is HandoffStatus.IMPORTED
    numbers = set(db.session.scalars(sa.select(Invoice.number)))
    assert numbers == {"F-002", "F-000", "C-004"}


def test_unknown_columns_are_mapped_once_and_remembered(app, db, client, portal):
    header = HEADER.replace("Debiteurnummer", "Onze ref").replace("Telefoon", "Tel. privé")
    hid = handoff_id(upload(client, csv_bytes(ROWS, header)))
    assert db.session.get(Handoff, hid).status is HandoffStatus.UPLOADED
    page = client.get(f"/portal/handoffs/{hid}/mapping").get_data(as_text=True)
    assert "Onze ref" in page and "10001" in page  # the column with example values
    token = client.csrf_token(f"/portal/handoffs/{hid}/mapping")
    response = client.post(
        f"/portal/handoffs/{hid}/mapping",
        data={"csrf_token": token, "col-0": "debtor_code", "col-6": "phone"},
    )
    assert response.status_code == 302
    wait_for_jobs(app)
    assert db.session.get(Handoff, hid).status is HandoffStatus.VALIDATED
    remembered = dict(
        db.session.execute(
            sa.select(HeaderMapping.header, HeaderMapping.field).where(
                HeaderMapping.client_id == portal.id
            )
        ).all()
    )
    assert remembered["onzeref"] == "debtor_code" and remembered["telprive"] == "phone"
    # The next file with the same headers needs no mapping step.
    again = upload(client, csv_bytes(ROWS[:2], header), "tweede.csv")
    wait_for_jobs(app)
    assert db.session.get(Handoff, handoff_id(again)).status is HandoffStatus.VALIDATED


def test_another_clients_handoff_is_not_found(app, db, client, portal, make_client):
    hid = handoff_id(upload(client, csv_bytes(ROWS)))
    wait_for_jobs(app)
    other = make_client()
    db.session.get(Handoff, hid).client_id = other.id
    db.session.commit()
    for path in (
        f"/portal/handoffs/{hid}",
        f"/portal/handoffs/{hid}/errors.csv",
        f"/portal/handoffs/{hid}/status.json",
        f"/portal/handoffs/{hid}/mapping",
    ):
        assert client.get(path).status_code == 404, path


def test_templates_download_in_both_formats(client, portal):
    from python_calamine import CalamineWorkbook

    csv_response = client.get("/portal/handoffs/template.csv?lang=nl")
    assert csv_response.status_code == 200
    assert csv_response.get_data(as_text=True).lstrip("\ufeff").startswith("Debiteurnummer")
    xlsx = client.get("/portal/handoffs/template.xlsx?lang=en")
    rows = CalamineWorkbook.from_filelike(io.BytesIO(xlsx.data)).get_sheet_by_index(0).to_python()
    assert "Invoice number" in rows[0]


def test_an_upload_over_the_limit_is_refused_clearly(app, db, client, portal):
    app.config["MAX_CONTENT_LENGTH"] = 1024
    response = upload(client, csv_bytes(ROWS * 20))
    assert response.status_code == 413
    assert "MB" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Handoff)) == 0


def test_the_import_reads_the_file_again_when_the_checked_rows_are_gone(app, db, client, portal):
    from agency.clients.operations import checked_rows_path

    hid = handoff_id(upload(client, csv_bytes(ROWS)))
    wait_for_jobs(app)
    path = checked_rows_path(db.session.get(Handoff, hid))
    assert path.exists()
    path.unlink()  # e.g. checked on another machine
    confirm(client, hid)
    wait_for_jobs(app)
    assert db.session.get(Handoff, hid).status is HandoffStatus.IMPORTED
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Invoice)) == 5


def test_checked_rows_survive_the_round_trip(tmp_path):
    from datetime import date

    from agency.clients.intake import checked
    from agency.clients.intake.rows import InvoiceRow

    rows = [
        InvoiceRow(
            2,
            "D1",
            'Eva; "Smit"',
            "person",
            None,
            "Kerkweg 1",
            "1234 AB",
            "Utrecht",
            "NL",
            "eva@smit.nl",
            "+31612345678",
            "nl",
            None,
            None,
            None,
            "F-1",
            date(2026, 1, 2),
            date(2026, 2, 1),
            12345,
            0,
            date(2026, 3, 1),
            "EUR",
            2,
            "met, komma",
        ),
        InvoiceRow(
            3,
            "D2",
            "Bas",
            None,
            None,
            None,
            None,
            None,
            "BE",
            None,
            None,
            None,
            "12345678",
            None,
            "NL91ABNA0417164300",
            "C-2",
            date(2026, 1, 2),
            date(2026, 1, 2),
            -500,
            -500,
            None,
            "EUR",
            0,
            None,
        ),
    ]
    path = tmp_path / "x.checked.csv"
    checked.save(path, rows)
    assert checked.load(path) == rows
    path.write_text("something else\n")
    assert checked.load(path) is None
    assert checked.load(tmp_path / "missing.csv") is None


def test_the_check_hands_on_its_rows_instead_of_keeping_them(app, db, portal):
    """A big file's rows go to the checked-rows file as they pass; none pile up in memory."""
    from agency.clients.intake.columns import map_headers
    from agency.clients.intake.reader import read_table

    table = read_table(csv_bytes(ROWS), "openstaand.csv")
    kept: list = []
    analysis = importer.analyse(portal, table, map_headers(table.headers), keep=kept.extend)
    assert analysis.parsed.rows == []
    assert [row.invoice_number for row in kept] == ["F-001", "F-002", "F-000", "F-003", "C-004"]
    assert analysis.report.valid_rows == 5 and analysis.report.debtors == 2
