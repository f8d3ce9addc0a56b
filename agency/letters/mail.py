"""E-mail through SMTP: HTML and plain text, with the letter's PDF attached.

Without MAIL_SERVER the service runs in sandbox mode: the e-mail is recorded as a
SandboxRecord (shown at /sandbox/) and nothing leaves.
"""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formataddr, make_msgid, parseaddr

from flask import current_app
from markupsafe import Markup, escape

from agency.errors import AgencyError
from agency.sandbox import operations as sandbox

TIMEOUT_SECONDS = 30


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


def build_message(
    *,
    to: str,
    subject: str,
    text: str,
    html: str,
    sender_name: str | None = None,
    attachment: bytes | None = None,
    attachment_name: str = "letter.pdf",
) -> EmailMessage:
    """Compose the e-mail: plain text with an HTML alternative and the PDF attached."""
    config = current_app.config
    message = EmailMessage()
    from_name, from_address = parseaddr(config["MAIL_FROM"])
    if sender_name:
        # The client's name first, so the debtor recognises whom the claim is about.
        from_name = f"{sender_name} via {config['AGENCY_NAME']}"
    message["From"] = formataddr((from_name, from_address))
    message["Reply-To"] = config["AGENCY_EMAIL"]
    message["To"] = to
    message["Subject"] = subject
    message["Message-ID"] = make_msgid(domain=from_address.rpartition("@")[2] or None)
    message.set_content(text)
    message.add_alternative(html, subtype="html")
    if attachment is not None:
        message.add_attachment(
            attachment, maintype="application", subtype="pdf", filename=attachment_name
        )
    return message


def send_mail(
    message: EmailMessage, *, client_id: int | None = None, case_id: int | None = None
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
        self, message: EmailMessage, *, client_id: int | None = None, case_id: int | None = None
    ) -> MailResult:
        """Hand one e-mail over; return its Message-ID as the provider id."""
        if not is_live():
            sandbox.record(
                "mail",
                "email",
                str(message["Subject"])[:255],
                recipient=str(message["To"]),
                client_id=client_id,
                case_id=case_id,
            )
            return MailResult(provider_id=str(message["Message-ID"]), sandboxed=True)
        try:
            if self._smtp is None:
                self._smtp = self._connect()
            self._smtp.send_message(message)
        except (smtplib.SMTPException, OSError) as exc:
            if self._smtp is not None:
                self._smtp.close()
                self._smtp = None
            raise MailFailed(f"SMTP: {exc}") from exc
        return MailResult(provider_id=str(message["Message-ID"]), sandboxed=False)
