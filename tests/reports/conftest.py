"""Fixtures of the report tests: a real SMTP server (the letters tests' mailbox)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from aiosmtpd.controller import Controller

from tests.letters.conftest import Mailbox, free_port


@pytest.fixture
def smtp_server(app) -> Iterator[Mailbox]:
    """An SMTP server on 127.0.0.1 that the app sends its e-mail to."""
    mailbox = Mailbox()
    port = free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    app.config.update(
        MAIL_SERVER="127.0.0.1", MAIL_PORT=port, MAIL_USE_TLS=False, MAIL_USE_SSL=False
    )
    yield mailbox
    controller.stop()
