"""Disputes: recorded by an agent with files, dunning paused, decided by the client in the portal
(upheld: a credit note on the invoice; rejected: collection resumes). Shorter payment terms
recorded on a call and shown to the client."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
import sqlalchemy as sa

from agency.auth.models import Role
from agency.cases.models import Case, CaseStatus
from agency.contact_log.models import Dispute, DisputeFile, DisputeStatus, PaymentTermAgreement
from agency.ledger.models import EntryKind, LedgerEntry
from agency.ledger.queries import case_balance

PDF = b"%PDF-1.4\n% a delivery note\n"


@pytest.fixture
def uploads(app, tmp_path):
    app.config["UPLOAD_DIR"] = str(tmp_path / "uploads")
    return tmp_path / "uploads"


def record(client, case, token, **extra):
    data = {
        "invoice": case.invoices[0].id,
        "reason": "not_delivered",
        "amount": "40,00",
        "note": "Says the pallet never came",
        "csrf_token": token,
    }
    data.update(extra)
    return client.post(f"/cases/{case.id}/disputes", data=data, content_type="multipart/form-data")


def test_an_agent_records_a_dispute_with_a_file(client, login_as, make_case, db, uploads):
    case = make_case(100_00, 50_00)
    login_as("agent")
    token = client.csrf_token(f"/cases/{case.id}")
    response = record(client, case, token, files=[(io.BytesIO(PDF), "pakbon.pdf")])
    assert response.status_code == 302
    dispute = db.session.scalars(sa.select(Dispute)).one()
    assert (dispute.amount_cents, dispute.status) == (40_00, DisputeStatus.OPEN)
    saved = db.session.get(Case, case.id)
    assert saved.status is CaseStatus.DISPUTED and saved.paused_reason == "dispute"
    stored = db.session.scalars(sa.select(DisputeFile)).one()
    assert (uploads / stored.stored_path).read_bytes() == PDF
    assert "static" not in stored.stored_path
    download = client.get(f"/disputes/{dispute.id}/files/{stored.id}")
    assert download.status_code == 200 and download.data == PDF
    assert "attachment" in download.headers["Content-Disposition"]
    assert client.get(f"/disputes/{dispute.id}/files/{stored.id + 1}").status_code == 404


@pytest.mark.parametrize(
    ("name", "content"),
    [("script.html", b"<script>"), ("fake.pdf", b"MZ\x90\x00"), ("big.pdf", b"%PDF" + b"0" * 2000)],
)
def test_wrong_or_large_files_are_refused(
    client, login_as, make_case, db, uploads, monkeypatch, name, content
):
    import agency.contact_log.operations as operations

    # A small limit keeps the request small (Werkzeug's test client leaks big bodies' temp files).
    monkeypatch.setattr(operations, "DISPUTE_FILE_MAX_BYTES", 2000)
    case = make_case(100_00)
    login_as("agent")
    token = client.csrf_token(f"/cases/{case.id}")
    response = record(client, case, token, files=[(io.BytesIO(content), name)])
    assert response.status_code == 400
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Dispute)) == 0
    assert db.session.get(Case, case.id).status is CaseStatus.DUNNING
    assert not (uploads / "disputes").exists() or not any((uploads / "disputes").rglob("*.*"))


def test_more_than_the_open_part_cannot_be_disputed(client, login_as, make_case, db, uploads):
    case = make_case(100_00)
    login_as("agent")
    token = client.csrf_token(f"/cases/{case.id}")
    assert record(client, case, token, amount="100,01").status_code == 400
    assert record(client, case, token, amount="").status_code == 302  # empty: the open part
    assert db.session.scalars(sa.select(Dispute.amount_cents)).one() == 100_00


@pytest.fixture
def disputed(client, login_as, make_case, db, uploads):
    case = make_case(100_00, 50_00)
    login_as("agent")
    token = client.csrf_token(f"/cases/{case.id}")
    record(client, case, token, files=[(io.BytesIO(PDF), "pakbon.pdf")])
    client.post("/logout", data={"csrf_token": token})
    return db.session.get(Case, case.id), db.session.scalars(sa.select(Dispute)).one()


def decide(client, dispute, decision):
    token = client.csrf_token(f"/portal/disputes/{dispute.id}")
    return client.post(
        f"/portal/disputes/{dispute.id}",
        data={"decision": decision, "note": "checked", "csrf_token": token},
    )


def test_upheld_in_the_portal_books_a_credit_note(client, login_as, disputed, db):
    case, dispute = disputed
    before = case_balance(case.id).total
    login_as(Role.CLIENT, case.client)
    home = client.get("/portal/").get_data(as_text=True)
    assert 'data-testid="open-disputes"' in home
    listing = client.get("/portal/disputes").get_data(as_text=True)
    assert case.debtor.name in listing
    file_id = dispute.files[0].id
    assert client.get(f"/portal/disputes/{dispute.id}/files/{file_id}").data == PDF
    assert decide(client, dispute, "upheld").status_code == 302
    dispute = db.session.get(Dispute, dispute.id)
    assert dispute.status is DisputeStatus.UPHELD
    credit = db.session.get(LedgerEntry, dispute.credit_entry_id)
    assert (credit.kind, credit.amount_cents, credit.invoice_id) == (
        EntryKind.CREDIT_NOTE,
        -40_00,
        dispute.invoice_id,
    )
    assert case_balance(case.id).total == before - 40_00
    saved = db.session.get(Case, case.id)
    assert saved.status is CaseStatus.DUNNING and saved.paused_reason is None
    assert decide(client, dispute, "rejected").status_code == 200  # decided already: no change
    assert db.session.get(Dispute, dispute.id).status is DisputeStatus.UPHELD


def test_rejected_in_the_portal_resumes_collection(client, login_as, disputed, db):
    case, dispute = disputed
    before = case_balance(case.id).total
    login_as(Role.CLIENT, case.client)
    assert decide(client, dispute, "rejected").status_code == 302
    assert db.session.get(Dispute, dispute.id).status is DisputeStatus.REJECTED
    assert case_balance(case.id).total == before
    saved = db.session.get(Case, case.id)
    assert saved.status is CaseStatus.DUNNING and saved.paused_reason is None


def test_another_clients_dispute_is_404_in_the_portal(client, login_as, disputed, db):
    case, dispute = disputed
    login_as(Role.CLIENT)  # a user of another client
    assert client.get(f"/portal/disputes/{dispute.id}").status_code == 404
    assert (
        client.get(f"/portal/disputes/{dispute.id}/files/{dispute.files[0].id}").status_code == 404
    )
    token = client.csrf_token("/portal/disputes")
    response = client.post(
        f"/portal/disputes/{dispute.id}", data={"decision": "upheld", "csrf_token": token}
    )
    assert response.status_code == 404
    assert db.session.get(Dispute, dispute.id).status is DisputeStatus.OPEN
    assert case.debtor.name not in client.get("/portal/disputes").get_data(as_text=True)


def test_a_shorter_payment_term_is_recorded_and_shown_to_the_client(
    client, login_as, make_case, make_client, db
):
    from agency.modeling import today

    owner = make_client(new_payment_term_days=14)
    case = make_case(100_00, client=owner)  # invoices on 30 days
    agent = login_as("agent")
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert 'name="term_old_days" type="number" value="30"' in page
    assert 'name="term_new_days" type="number" value="14"' in page
    token = client.csrf_token(f"/cases/{case.id}")
    data = {
        "channel": "call_out",
        "outcome": "payment_term",
        "next_action_on": (today() + timedelta(days=3)).isoformat(),
        "term_old_days": "30",
        "term_new_days": "30",
        "csrf_token": token,
    }
    assert client.post(f"/cases/{case.id}/contacts", data=data).status_code == 400
    data["term_new_days"] = "14"
    assert client.post(f"/cases/{case.id}/contacts", data=data).status_code == 302
    agreement = db.session.scalars(sa.select(PaymentTermAgreement)).one()
    assert (agreement.old_days, agreement.new_days, agreement.agent_id, agreement.agreed_on) == (
        30,
        14,
        agent.id,
        today(),
    )
    client.post("/logout", data={"csrf_token": token})
    login_as(Role.CLIENT, owner)
    report = client.get("/portal/payment-terms").get_data(as_text=True)
    assert case.debtor.name in report and agent.name in report
    client.post("/logout", data={"csrf_token": client.csrf_token("/portal/")})
    login_as(Role.CLIENT)  # another client sees nothing of it
    assert case.debtor.name not in client.get("/portal/payment-terms").get_data(as_text=True)
