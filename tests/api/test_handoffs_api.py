"""The JSON API: a client's system hands over invoices with its own token."""

from __future__ import annotations

import io

import pytest
import sqlalchemy as sa

from agency import jobs
from agency.clients.models import ApiToken, Handoff, HandoffStatus
from agency.clients.operations import create_api_token, revoke_api_token
from agency.extensions import db as _db
from tests.clients.test_handoffs import ROWS, csv_bytes


@pytest.fixture
def token(app, db, make_client, tmp_path):
    app.config["UPLOAD_DIR"] = str(tmp_path / "uploads")
    client = make_client(code="ACME")
    _token, plain = create_api_token(client, "boekhouding", actor=None)
    db.session.commit()
    return client, plain


def auth(plain: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {plain}"}


def test_no_or_a_wrong_or_revoked_token_is_refused(client, token, db):
    owner, plain = token
    assert client.post("/api/v1/handoffs").status_code == 401
    assert client.post("/api/v1/handoffs", headers=auth("agy_nope")).status_code == 401
    revoke_api_token(db.session.scalars(sa.select(ApiToken)).one(), actor=None)
    db.session.commit()
    assert (
        client.post(
            "/api/v1/handoffs", data=csv_bytes(ROWS), headers=auth(plain), content_type="text/csv"
        ).status_code
        == 401
    )


def test_only_the_hash_of_a_token_is_stored(token, db):
    _owner, plain = token
    stored = db.session.scalars(sa.select(ApiToken)).one()
    assert plain not in (stored.token_hash, stored.prefix) and len(stored.token_hash) == 64


def test_a_csv_body_is_checked_and_imported(app, client, token, db):
    owner, plain = token
    response = client.post(
        "/api/v1/handoffs?filename=export.csv",
        data=csv_bytes(ROWS),
        headers=auth(plain),
        content_type="text/csv",
    )
    assert response.status_code == 202, response.json
    body = response.json
    assert body["status"] == "queued" and body["report"]["accepted"] is True
    assert body["report"]["principal_cents"] == 123456 + 25000 + 9995
    assert jobs.backend_for(app).wait_idle(30)
    state = client.get(f"/api/v1/handoffs/{body['id']}", headers=auth(plain)).json
    assert state["status"] == "imported" and state["progress_percent"] == 100
    assert _db.session.get(Handoff, body["id"]).client_id == owner.id


def test_dry_run_imports_nothing(client, token, db):
    _owner, plain = token
    response = client.post(
        "/api/v1/handoffs?dry_run=1",
        data={"file": (io.BytesIO(csv_bytes(ROWS)), "open.csv")},
        headers=auth(plain),
        content_type="multipart/form-data",
    )
    assert response.status_code == 200 and response.json["status"] == "validated"


def test_json_rows_and_row_errors(client, token):
    _owner, plain = token
    invoices = [
        {
            "debtor_code": "D1",
            "debtor_name": "Eva Smit",
            "invoice_number": "A-1",
            "invoice_date": "2026-09-01",
            "due_date": "2026-09-15",
            "amount": "120.00",
        },
        {
            "debtor_code": "D2",
            "debtor_name": "Bas Kok",
            "invoice_number": "A-2",
            "invoice_date": "2026-09-01",
            "due_date": "2026-02-31",
            "amount": "80,00",
        },
    ]
    response = client.post("/api/v1/handoffs", json={"invoices": invoices}, headers=auth(plain))
    assert response.status_code == 422
    errors = response.json["report"]["errors"]
    assert [(e["row"], e["column"]) for e in errors] == [(3, "due_date")]
    accepted = client.post(
        "/api/v1/handoffs?skip_invalid=1", json={"invoices": invoices}, headers=auth(plain)
    )
    assert accepted.status_code == 202 and accepted.json["report"]["valid_rows"] == 1


def test_unknown_json_fields_are_a_clear_400(client, token):
    _owner, plain = token
    response = client.post(
        "/api/v1/handoffs", json={"invoices": [{"klant": "x"}]}, headers=auth(plain)
    )
    assert response.status_code == 400 and "klant" in response.json["message"]


def test_another_clients_handoff_is_404(client, token, db, make_client):
    owner, plain = token
    other = make_client()
    _t, other_plain = create_api_token(other, "x", actor=None)
    db.session.commit()
    created = client.post(
        "/api/v1/handoffs?dry_run=1",
        data=csv_bytes(ROWS),
        headers=auth(plain),
        content_type="text/csv",
    ).json
    assert (
        client.get(f"/api/v1/handoffs/{created['id']}", headers=auth(other_plain)).status_code
        == 404
    )


def test_the_openapi_document_describes_the_handoff_endpoints(client):
    doc = client.get("/api/v1/openapi.json").json
    assert doc["openapi"].startswith("3.")
    assert {"/handoffs", "/handoffs/{id}"} <= set(doc["paths"])
    assert "debtor_code" in doc["components"]["schemas"]["HandoffInvoice"]["required"]


def test_the_same_file_twice_is_a_duplicate(app, client, token, db):
    _owner, plain = token
    first = client.post(
        "/api/v1/handoffs", data=csv_bytes(ROWS), headers=auth(plain), content_type="text/csv"
    ).json
    assert jobs.backend_for(app).wait_idle(30)
    second = client.post(
        "/api/v1/handoffs", data=csv_bytes(ROWS), headers=auth(plain), content_type="text/csv"
    )
    assert second.status_code == 200 and second.json["status"] == "duplicate"
    assert second.json["duplicate_of"] == first["id"]
    assert _db.session.get(Handoff, second.json["id"]).status is HandoffStatus.DUPLICATE
