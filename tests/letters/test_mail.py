"""The e-mail as composed for SMTP: what the email package reads back from its bytes."""

from __future__ import annotations

import os
from email import message_from_bytes, policy

import pytest
from aiosmtpd.controller import Controller

from agency.letters import mail
from tests.letters.conftest import Mailbox, free_port

TEXT = "Geachte heer Müller,\n\nUw factuur van € 125,00 staat open.\nBetaal vóór 1 april.\n"
HTML = mail.html_body(
    TEXT, "#aa3300", "Agency · KvK 123", link="https://pay.test/x", link_label="Betaal"
)


def compose(app, **fields):
    values = {
        "to": "jan@example.test",
        "subject": "Herinnering: factuur F-1",
        "text": TEXT,
        "html": HTML,
        "sender_name": "Fietsen B.V.",
        "attachment": os.urandom(40_000),
        "attachment_name": "AB12-CD34.pdf",
    } | fields
    with app.app_context():
        return values, mail.build_message(**values)


def text_of(message, subtype: str) -> str:
    # Text travels with CRLF line ends (RFC 5322), as the email package's own generator writes.
    return message.get_body((subtype,)).get_content().replace("\r\n", "\n")


def parsed(composed: mail.Mail):
    message = message_from_bytes(composed.data, policy=policy.default)
    assert [part.defects for part in message.walk()] == [[] for _ in message.walk()]
    assert all(len(line) <= 78 for line in composed.data.split(b"\r\n"))
    assert b"\n" not in composed.data.replace(b"\r\n", b"")
    return message


@pytest.mark.parametrize(
    "subject",
    [
        "Herinnering: factuur F-1",
        "Laatste aanmaning — € 125,00 voor Jürgen Ørsted, factuur F-2025-000001 van 1 maart",
    ],
)
def test_the_composed_email_reads_back_part_for_part(app, subject):
    values, composed = compose(app, subject=subject, sender_name="Bäckerei Ünal")
    message = parsed(composed)
    assert message["Subject"] == subject == composed.subject
    [sender] = message["From"].addresses
    assert (sender.display_name, sender.addr_spec) == (
        "Bäckerei Ünal via Agency Incasso B.V.",
        "noreply@agency.invalid",
    )
    assert composed.sender == "noreply@agency.invalid"
    assert (message["To"], message["Reply-To"]) == ("jan@example.test", "info@agency.invalid")
    assert message["Message-ID"] == composed.message_id
    assert message["Date"].datetime is not None
    assert message.get_content_type() == "multipart/mixed"
    assert text_of(message, "plain") == TEXT
    assert text_of(message, "html") == HTML + "\n"
    [attachment] = list(message.iter_attachments())
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_filename() == "AB12-CD34.pdf"
    assert attachment.get_content() == values["attachment"]


def test_header_values_from_data_stay_on_their_line(app):
    _, composed = compose(
        app,
        subject="Herinnering\r\nBcc: everyone@example.test",
        attachment_name='rapport "mei"\nx.pdf',
    )
    message = parsed(composed)
    assert message["Bcc"] is None
    assert message["Subject"] == "Herinnering Bcc: everyone@example.test"
    assert next(message.iter_attachments()).get_filename() == "rapport mei x.pdf"


def test_a_non_ascii_file_name_and_no_attachment(app):
    _, composed = compose(app, attachment_name="overzicht-mäart.pdf")
    assert next(parsed(composed).iter_attachments()).get_filename() == "overzicht-mäart.pdf"
    _, composed = compose(app, attachment=None)
    message = parsed(composed)
    assert message.get_content_type() == "multipart/alternative"
    assert list(message.iter_attachments()) == []
    assert text_of(message, "plain") == TEXT


def test_a_non_ascii_mailbox_goes_with_smtputf8(app):
    mailbox = Mailbox()
    port = free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port, enable_SMTPUTF8=True)
    controller.start()
    try:
        app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port, MAIL_USE_TLS=False)
        _, composed = compose(app, to="jöran@voorbeeld.test")
        assert composed.international
        with app.app_context():
            result = mail.send_mail(composed)
    finally:
        controller.stop()
    [received] = mailbox.received
    assert received["To"] == "jöran@voorbeeld.test"
    assert received["Message-ID"] == result.provider_id == composed.message_id
    assert text_of(received, "plain") == TEXT
