"""Fixtures of the payment page: a case with a printed link, and a visitor who passed the check."""

from __future__ import annotations

import re

import pytest

from agency.extensions import db as _db
from agency.letters.links import case_token


@pytest.fixture
def app_config(tmp_path):
    return {"UPLOAD_DIR": str(tmp_path / "uploads")}


@pytest.fixture
def linked(make_case):
    """Return (case, token) of a case of two invoices (€ 100 and € 250) with a printed link."""

    def factory(*amounts: int, **fields):
        case = make_case(*(amounts or (100_00, 250_00)), **fields)
        token = case_token(case)
        _db.session.commit()
        return case, token

    return factory


def page_csrf(client, path: str) -> str:
    html = client.get(path).get_data(as_text=True)
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html)
    assert match, f"no form on {path}"
    return match.group(1)


@pytest.fixture
def checked(client, linked):
    """Return (case, token) of a linked case whose check the test client passed."""

    def factory(*amounts: int, **fields):
        case, token = linked(*amounts, **fields)
        csrf = page_csrf(client, f"/pay/{token}")
        response = client.post(
            f"/pay/{token}/check", data={"answer": case.debtor.postcode, "csrf_token": csrf}
        )
        assert response.status_code == 303
        return case, token

    return factory
