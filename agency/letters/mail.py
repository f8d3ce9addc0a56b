"""E-mail through SMTP: HTML and plain text, with the letter's PDF attached.

Without MAIL_SERVER the service runs in sandbox mode: the e-mail is recorded as a
SandboxRecord (shown at /sandbox/) and nothing leaves.

The MIME message is put together here from the email package's own encoders (addresses,
encoded words, quoted-printable and base64 in C). Its generator writes every 76-character
line of a 40 KB attachment through Python, which cost more than a tenth of a dunning letter's
time; what it would write is checked by parsing the result back with the email package.
"""

from __future__ import annotations

import base64
import binascii
import secrets
import smtplib
import ssl
from dataclasses import dataclass
from email.header import Header
from email.utils import encode_rfc2231, formataddr, formatdate, make_msgid, parseaddr

from flask import current_app
from markupsafe import Markup, escape

from agency.errors import AgencyError
from agency.sandbox import operations as sandbox

TIMEOUT_SECONDS = 30
CRLF = "\r\n"


class MailFailed(AgencyError):
    """The SMTP server refused or could not be reached; worth retrying later."""


@dataclass(frozen=True)
class MailResult:
    provider_id: str
    sandboxed: bool


def html_body(
    text: str,
    colour: str = "#1f4e79",
    footer: str = "",
    link: str | None = None,
    link_label: str = "",
) -> str:
    """Turn a plain-text letter body into simple, escaped HTML paragraphs (and a pay button)."""
    paragraphs = "".join(
        f"<p>{escape(p).replace(chr(10), Markup('<br>'))}</p>"
        for p in text.split("\n\n")
        if p.strip()
    )
    button = (
        f'<p><a href="{escape(link)}" style="background: {escape(colour)}; color: #fff; '
        f'padding: 8px 16px; text-decoration: none; border-radius: 4px">{escape(link_label)}</a>'
        f"</p>"
        if link
        else ""
    )
    return (
        '<!doctype html><html><body style="font-family: Helvetica, Arial, sans-serif">'
        f'<div style="border-top: 6px solid {escape(colour)}; padding-top: 12px">{paragraphs}'
        f'{button}<p style="color: #666; font-size: 12px">{escape(footer)}</p></div>'
        "</body></html>"
    )


@dataclass(frozen=True)
class Mail:
    """An e-mail ready for SMTP: its envelope, the headers shown in the sandbox, its bytes."""

    sender: str
    to: str
    subject: str
    message_id: str
    data: bytes

    @property
    def international(self) -> bool:
        """Tell whether an address needs SMTPUTF8 (a non-ASCII mailbox name)."""
        return not (self.sender.isascii() and self.to.isascii())


def _one_line(value: str) -> str:
    """A header value on one line: no line breaks smuggled in from data."""
    return " ".join(value.split())


def _encoded_word(value: str, header_name: str) -> str:
    value = _one_line(value)
    if value.isascii():
        return value
    return Header(value, "utf-8", header_name=header_name).encode(linesep=CRLF)


def _address(name: str, address: str) -> str:
    name = _one_line(name)
    if name.isascii():
        return formataddr((name, address))
    return f"{_encoded_word(name, 'From')}{CRLF} <{address}>"


def _text_part(text: str, subtype: str) -> bytes:
    lines = "\r\n".join(text.splitlines()) + "\r\n"
    body = binascii.b2a_qp(lines.encode(), istext=True)
    return (
        f'Content-Type: text/{subtype}; charset="utf-8"\r\n'
        "Content-Transfer-Encoding: quoted-printable\r\n\r\n"
    ).encode() + body


def _multipart(subtype: str, parts: list[bytes]) -> bytes:
    # "=_" cannot occur in quoted-printable or base64 lines: the boundary is never in a part.
    boundary = f"=_{secrets.token_hex(12)}"
    delimiter = f"\r\n--{boundary}\r\n".encode()
    return (
        f'Content-Type: multipart/{subtype}; boundary="{boundary}"\r\n\r\n'.encode()
        + delimiter[2:]
        + delimiter.join(parts)
        + f"\r\n--{boundary}--\r\n".encode()
    )


def build_message(
    *,
    to: str,
    subject: str,
    text: str,
    html: str,
    sender_name: str | None = None,
    attachment: bytes | None = None,
    attachment_name: str = "letter.pdf",
) -> Mail:
    """Compose the e-mail: plain text with an HTML alternative and the PDF attached."""
    config = current_app.config
    from_name, from_address = parseaddr(config["MAIL_FROM"])
    if sender_name:
        # The client's name first, so the debtor recognises whom the claim is about.
        from_name = f"{sender_name} via {config['AGENCY_NAME']}"
    message_id = make_msgid(domain=from_address.rpartition("@")[2] or None)
    to = _one_line(to)
    headers = [
        ("From", _address(from_name, from_address)),
        ("Reply-To", _one_line(config["AGENCY_EMAIL"])),
        ("To", to),
        ("Subject", _encoded_word(subject, "Subject")),
        ("Date", formatdate(localtime=True)),
        ("Message-ID", message_id),
        ("MIME-Version", "1.0"),
    ]
    body = _multipart("alternative", [_text_part(text, "plain"), _text_part(html, "html")])
    if attachment is not None:
        file_name = _one_line(attachment_name).replace("\\", "").replace('"', "")
        filename = (
            f'filename="{file_name}"'
            if file_name.isascii()
            else f"filename*={encode_rfc2231(file_name, 'utf-8')}"
        )
        pdf = (
            "Content-Type: application/pdf\r\n"
            "Content-Transfer-Encoding: base64\r\n"
            f"Content-Disposition: attachment; {filename}\r\n\r\n"
        ).encode() + base64.encodebytes(attachment).replace(b"\n", b"\r\n")
        body = _multipart("mixed", [body, pdf])
    head = "".join(f"{name}: {value}\r\n" for name, value in headers)
    return Mail(
        sender=from_address,
        to=to,
        subject=subject,
        message_id=message_id,
        data=head.encode() + body,
    )


def send_mail(
    message: Mail, *, client_id: int | None = None, case_id: int | None = None
) -> MailResult:
    """Hand the message to the SMTP server; return its Message-ID as the provider id."""
    with Outbox() as outbox:
        return outbox.send(message, client_id=client_id, case_id=case_id)


def is_live() -> bool:
    """Tell whether e-mail leaves through a real SMTP server (else the sandbox keeps it)."""
    return sandbox.is_live(current_app, "mail")


class Outbox:
    """One SMTP connection for a run of e-mails: opened at the first, closed at the end.

    A dispatch job sends its whole batch through one connection instead of a handshake
    (and a TLS set-up) per e-mail. After a failure the connection is dropped, and the next
    e-mail opens a fresh one.
    """

    def __init__(self) -> None:
        self._smtp: smtplib.SMTP | None = None

    def __enter__(self) -> Outbox:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Say goodbye to the server, if a connection is open."""
        smtp, self._smtp = self._smtp, None
        if smtp is not None:
            try:
                smtp.quit()
            except (smtplib.SMTPException, OSError):
                smtp.close()

    def _connect(self) -> smtplib.SMTP:
        config = current_app.config
        if config["MAIL_USE_SSL"]:
            smtp: smtplib.SMTP = smtplib.SMTP_SSL(
                config["MAIL_SERVER"],
                config["MAIL_PORT"],
                timeout=TIMEOUT_SECONDS,
                context=ssl.create_default_context(),
            )
        else:
            smtp = smtplib.SMTP(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=TIMEOUT_SECONDS)
        try:
            if config["MAIL_USE_TLS"] and not config["MAIL_USE_SSL"]:
                smtp.starttls(context=ssl.create_default_context())
            if config["MAIL_USERNAME"]:
                smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"] or "")
        except BaseException:
            smtp.close()
            raise
        return smtp

    def send(
        self, message: Mail, *, client_id: int | None = None, case_id: int | None = None
    ) -> MailResult:
        """Hand one e-mail over; return its Message-ID as the provider id."""
        if not is_live():
            sandbox.record(
                "mail",
                "email",
                message.subject[:255],
                recipient=message.to,
                client_id=client_id,
                case_id=case_id,
            )
            return MailResult(provider_id=message.message_id, sandboxed=True)
        try:
            if self._smtp is None:
                self._smtp = self._connect()
            options = ("SMTPUTF8", "BODY=8BITMIME") if message.international else ()
            self._smtp.sendmail(message.sender, [message.to], message.data, mail_options=options)
        except (smtplib.SMTPException, OSError) as exc:
            if self._smtp is not None:
                self._smtp.close()
                self._smtp = None
            raise MailFailed(f"SMTP: {exc}") from exc
        return MailResult(provider_id=message.message_id, sandboxed=False)
