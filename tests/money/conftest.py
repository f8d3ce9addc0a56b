"""Fixtures for client money: the cases the test statement files pay."""

from __future__ import annotations

from pathlib import Path

import pytest

FILES = Path(__file__).parent / "files"
ACCOUNT = "NL91ABNA0417164300"
OFFICE = "NL02ABNA0123456789"


def statement(name: str) -> bytes:
    return (FILES / name).read_bytes()


@pytest.fixture
def paid_cases(make_client, make_debtor, make_case, db):
    """Four cases whose references and debtor IBANs the test statements name."""
    client = make_client(name="Bakkerij Jansen B.V.", iban="NL20INGB0001234567")
    specs = {
        "A": ("5200310000001740", "NL44RABO0123456789", 250_00),
        "B": ("5200310000002419", "NL69INGB0123456789", 400_00),
        "C": ("5200310000003195", "NL02ABNA0123456789", 123_45),
        "D": ("5200310000004844", None, 80_00),
    }
    cases = {}
    for name, (reference, iban, cents) in specs.items():
        debtor = make_debtor(client, iban=iban)
        case = make_case(cents, client=client, debtor=debtor)
        case.reference = reference
        cases[name] = case
    db.session.commit()
    return cases
