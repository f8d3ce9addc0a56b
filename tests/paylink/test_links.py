"""Payment links: unguessable, only their hash stored, revocable, expiring with the case."""

from __future__ import annotations

import hashlib
from datetime import date

import sqlalchemy as sa

from agency.cases.models import CaseStatus
from agency.cases.operations import transition
from agency.letters.links import (
    TokenState,
    case_token,
    find_token,
    payment_url,
    revoke_link,
    token_for,
)
from agency.paylink.models import PayToken


def test_a_token_carries_256_bits_and_only_its_hash_is_stored(app, db, linked):
    case, token = linked()
    assert len(token) == 43  # base64url of 32 bytes
    rows = db.session.scalars(sa.select(PayToken).where(PayToken.case_id == case.id)).all()
    assert [r.token_hash for r in rows] == [hashlib.sha256(token.encode()).hexdigest()]
    stored = db.session.execute(sa.text("SELECT * FROM pay_tokens")).all()
    assert token not in repr(stored)


def test_letters_print_the_same_link_until_it_is_revoked(app, db, linked):
    case, token = linked()
    assert payment_url(case) == f"{app.config['PUBLIC_BASE_URL']}/pay/{token}"
    assert case_token(case) == token
    assert db.session.scalar(sa.select(sa.func.count()).select_from(PayToken)) == 1


def test_tokens_depend_on_the_secret_key(app, linked):
    case, token = linked()
    app.config["SECRET_KEY"] = "another key"
    assert token_for(case.id, 0) != token


def test_revoking_makes_a_new_link_and_the_old_one_unknown_to_the_debtor(app, db, client, linked):
    case, token = linked()
    new = revoke_link(case, actor=None)
    db.session.commit()
    assert new.generation == 1
    assert find_token(token)[1] is TokenState.REVOKED
    fresh = case_token(case)
    assert fresh != token and find_token(fresh)[1] is TokenState.VALID
    old_page = client.get(f"/pay/{token}")
    assert old_page.status_code == 404
    assert old_page.get_data(as_text=True) == client.get("/pay/" + "x" * 43).get_data(as_text=True)
    assert client.get(f"/pay/{fresh}").status_code == 200


def test_the_link_expires_when_the_case_closes(app, db, client, linked):
    case, token = linked()
    transition(case, CaseStatus.RETURNED, on=date(2025, 4, 1))
    db.session.commit()
    assert client.get(f"/pay/{token}").status_code == 404
    assert find_token(token)[1] is TokenState.EXPIRED


def test_a_link_with_an_expiry_expires_then(app, db, client, linked):
    from datetime import timedelta

    from agency.modeling import utcnow

    case, token = linked()
    row, _ = find_token(token)
    row.expires_at = utcnow() + timedelta(minutes=5)
    db.session.commit()
    assert client.get(f"/pay/{token}").status_code == 200
    row.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert client.get(f"/pay/{token}").status_code == 404
    assert find_token(token)[1] is TokenState.EXPIRED


def test_the_cli_prints_a_cases_link(app, db, linked):
    case, token = linked()
    result = app.test_cli_runner().invoke(args=["pay-link", case.reference])
    assert result.exit_code == 0 and result.output.strip().endswith(f"/pay/{token}")
    missing = app.test_cli_runner().invoke(args=["pay-link", "NOPE"])
    assert missing.exit_code != 0 and "no case" in missing.output


def test_staff_revoke_the_link_from_the_case_page(app, db, client, linked, login_as):
    case, token = linked()
    login_as("agent")
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert f"/pay/{token}" in page and f'action="/cases/{case.id}/paylink/revoke"' in page
    csrf = client.csrf_token(f"/cases/{case.id}")
    assert client.post(f"/cases/{case.id}/paylink/revoke").status_code == 400  # no CSRF token
    assert find_token(token)[1] is TokenState.VALID
    response = client.post(f"/cases/{case.id}/paylink/revoke", data={"csrf_token": csrf})
    assert response.status_code == 302
    assert find_token(token)[1] is TokenState.REVOKED
    assert f"/pay/{token}" not in client.get(f"/cases/{case.id}").get_data(as_text=True)


def test_a_client_user_cannot_revoke(app, db, client, linked, login_as):
    case, token = linked()
    login_as("client", case.client)
    csrf = client.csrf_token("/security")
    response = client.post(f"/cases/{case.id}/paylink/revoke", data={"csrf_token": csrf})
    assert response.status_code == 403
    assert find_token(token)[1] is TokenState.VALID
