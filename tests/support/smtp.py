"""A real SMTP server on 127.0.0.1 for tests (aiosmtpd), keeping what it receives."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any, cast

import pytest


@dataclass
class SmtpServer:
    """Where the server listens, the messages it was given and the logins it accepted."""

    host: str = "127.0.0.1"
    port: int = 0
    messages: list[EmailMessage] = field(default_factory=list)
    logins: list[tuple[str, str]] = field(default_factory=list)

    @property
    def url(self) -> str:
        """The PODCAST_SMTP_URL that reaches it, with credentials."""
        return f"smtp://mailer:s3cret@{self.host}:{self.port}"


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    """A running SMTP server (AUTH without TLS, as on a local relay)."""
    controller_module = pytest.importorskip("aiosmtpd.controller")
    from aiosmtpd.smtp import AuthResult

    box = SmtpServer()

    class Keep:
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
            raw = envelope.original_content or envelope.content
            box.messages.append(cast(EmailMessage, message_from_bytes(raw, policy=policy.default)))
            return "250 queued"

    def authenticate(server: Any, session: Any, envelope: Any, mechanism: str, auth: Any) -> Any:
        box.logins.append((auth.login.decode(), auth.password.decode()))
        return AuthResult(success=True, auth_data=auth)

    with socket.socket() as probe:  # a free port: aiosmtpd's start-up check needs a real one
        probe.bind(("127.0.0.1", 0))
        box.port = probe.getsockname()[1]
    controller = controller_module.Controller(
        Keep(), hostname="127.0.0.1", port=box.port, authenticator=authenticate,
        auth_require_tls=False,
    )  # fmt: skip
    controller.start()
    yield box
    controller.stop()
