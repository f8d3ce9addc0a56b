"""The monthly report by e-mail: every active portal user once a month, through real SMTP."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import date
from io import BytesIO

import pytest
import sqlalchemy as sa
from pypdf import PdfReader

from agency.auth.models import Role
from agency.reports import tasks
from agency.reports.models import ReportMailing
from agency.reports.tasks import mail_monthly_reports


@pytest.fixture
def portal(make_client, make_user, make_case, db):
    """Two clients with cases handed over in August 2025 and their portal users; a third
    client with a user but nothing handed over; an inactive user; an agent."""
    fietsen = make_client(name="Fietsen B.V.", languages="nl,en", brand_colour="#2e7d32")
    bouw = make_client(name="Bouw & Zonen B.V.", languages="en")
    empty = make_client(name="Nog Niets B.V.")
    make_case(1_000_00, 250_00, client=fietsen, opened_on=date(2025, 8, 10))
    make_case(4_321_00, client=bouw, opened_on=date(2025, 8, 20))
    users = {
        "anna": make_user(Role.CLIENT, fietsen, email="anna@fietsen.test", language="nl"),
        "bert": make_user(Role.CLIENT, fietsen, email="bert@fietsen.test", language="en"),
        "carl": make_user(Role.CLIENT, bouw, email="carl@bouw.test", language="en"),
    }
    gone = make_user(Role.CLIENT, fietsen, email="gone@fietsen.test")
    gone.is_active_user = False
    make_user(Role.CLIENT, empty, email="nobody@niets.test")
    make_user(Role.AGENT, email="agent@agency.test")
    db.session.commit()
    return {"fietsen": fietsen, "bouw": bouw, "users": users}


def mailings(db) -> list[tuple[int, date, int, bool]]:
    db.session.expire_all()
    return [
        (m.client_id, m.month, m.recipients, m.sent_at is not None)
        for m in db.session.scalars(
            sa.select(ReportMailing).order_by(ReportMailing.month, ReportMailing.client_id)
        )
    ]


def pdf_text(mail) -> str:
    [attachment] = list(mail.iter_attachments())
    assert attachment.get_content_type() == "application/pdf"
    reader = PdfReader(BytesIO(attachment.get_content()))
    return "\n".join(page.extract_text() for page in reader.pages)


def test_each_active_portal_user_gets_last_months_report_once(db, portal, smtp_server):
    fietsen, bouw = portal["fietsen"], portal["bouw"]
    assert mail_monthly_reports("2025-09-02") == 3
    by_address = {str(m["To"]): m for m in smtp_server.received}
    assert sorted(by_address) == ["anna@fietsen.test", "bert@fietsen.test", "carl@bouw.test"]

    anna, bert = by_address["anna@fietsen.test"], by_address["bert@fietsen.test"]
    assert "augustus 2025" in anna["Subject"] and "Fietsen B.V." in anna["Subject"]
    assert "August 2025" in bert["Subject"]
    [attachment] = list(anna.iter_attachments())
    assert attachment.get_filename() == f"report-{fietsen.code}-2025-08.pdf"
    # Each in the user's own language: the body's amounts and the PDF's words.
    anna_text = anna.get_body(("plain",)).get_content()
    bert_text = bert.get_body(("plain",)).get_content()
    assert "€\xa01.250,00" in anna_text and "€1,250.00" in bert_text
    assert "Overgedragen" in pdf_text(anna) and "Handed over" in pdf_text(bert)
    assert "Fietsen B.V." in pdf_text(anna) and "augustus 2025" in pdf_text(anna)
    html = anna.get_body(("html",)).get_content()
    assert 'href="http://127.0.0.1:5000/portal/"' in html and "#2e7d32" in html
    carl = by_address["carl@bouw.test"]
    assert "Bouw & Zonen B.V." in pdf_text(carl) and "€4,321.00" in pdf_text(carl)
    assert "Fietsen" not in pdf_text(carl)

    assert mailings(db) == [
        (fietsen.id, date(2025, 8, 1), 2, True),
        (bouw.id, date(2025, 8, 1), 1, True),
    ]


def test_a_second_run_sends_nothing_and_next_month_sends_again(db, portal, smtp_server):
    assert mail_monthly_reports("2025-09-02") == 3
    assert mail_monthly_reports("2025-09-02") == 0
    assert mail_monthly_reports("2025-09-15") == 0  # a late re-run of the same month
    assert len(smtp_server.received) == 3
    assert mail_monthly_reports("2025-10-02") == 3
    assert mail_monthly_reports("2025-10-02") == 0
    per_user_and_month = Counter(
        (str(m["To"]), next(m.iter_attachments()).get_filename()[-11:-4])
        for m in smtp_server.received
    )
    assert len(smtp_server.received) == 6
    assert set(per_user_and_month.values()) == {1}
    assert {month for _to, month in per_user_and_month} == {"2025-08", "2025-09"}
    assert [(m[1], m[2]) for m in mailings(db)] == [
        (date(2025, 8, 1), 2),
        (date(2025, 8, 1), 1),
        (date(2025, 9, 1), 2),
        (date(2025, 9, 1), 1),
    ]


def test_a_run_that_loses_the_race_for_the_claim_sends_nothing(
    db, portal, smtp_server, monkeypatch
):
    # Another run claimed Fietsen's August report after this run looked, and is still sending.
    db.session.add(ReportMailing(client_id=portal["fietsen"].id, month=date(2025, 8, 1)))
    db.session.commit()
    monkeypatch.setattr(tasks, "_mailed", lambda client_id, month: False)
    assert mail_monthly_reports("2025-09-02") == 1
    assert [str(m["To"]) for m in smtp_server.received] == ["carl@bouw.test"]


def test_two_runs_at_once_mail_each_user_once(app, db, portal, smtp_server):
    results: list[int] = []

    def run() -> None:
        with app.app_context():
            results.append(mail_monthly_reports("2025-09-02"))

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert sum(results) == 3
    assert Counter(str(m["To"]) for m in smtp_server.received) == {
        "anna@fietsen.test": 1,
        "bert@fietsen.test": 1,
        "carl@bouw.test": 1,
    }
    assert [(m[2], m[3]) for m in mailings(db)] == [(2, True), (1, True)]


def test_a_client_without_a_handoff_by_the_months_end_gets_no_report(db, portal, smtp_server):
    assert mail_monthly_reports("2025-08-02") == 0  # July: nothing was handed over yet
    assert smtp_server.received == [] and mailings(db) == []


def test_a_user_whose_language_the_portal_lacks_reads_the_clients(
    db, make_client, make_user, make_case, smtp_server
):
    client = make_client(name="Brussel Frites B.V.", languages="en,nl")
    make_case(800_00, client=client, opened_on=date(2025, 8, 5))
    make_user(Role.CLIENT, client, email="eve@frites.test", language="fr")
    assert mail_monthly_reports("2025-09-02") == 1
    [mail] = smtp_server.received
    assert "August 2025" in mail["Subject"]
    assert "Handed over" in pdf_text(mail) and "€800.00" in pdf_text(mail)


def test_a_refusing_smtp_server_gives_the_claim_back_for_the_retry(
    db, portal, smtp_server, monkeypatch
):
    from agency.letters.mail import Outbox

    real_send = Outbox.send
    calls = []

    def refuse_the_second(self, message, **kwargs):
        calls.append(message.to)
        if len(calls) == 2:
            raise ConnectionError("the SMTP server went away")
        return real_send(self, message, **kwargs)

    monkeypatch.setattr(Outbox, "send", refuse_the_second)
    with pytest.raises(ConnectionError):
        mail_monthly_reports("2025-09-02")
    # The client whose mailing failed has no claim left; nothing was sent twice so far.
    assert mailings(db) == []
    monkeypatch.setattr(Outbox, "send", real_send)
    assert mail_monthly_reports("2025-09-02") == 3
    assert len(mailings(db)) == 2 and all(m[3] for m in mailings(db))
