"""Real servers on localhost for transport tests: an SMTP server (aiosmtpd) and a scripted HTTP server."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class RecordingSmtpHandler:
    """Keeps every accepted message; can refuse recipients or defer the first N messages."""

    refuse_recipients: set[str] = field(default_factory=set)
    defer_first: int = 0
    messages: list[EmailMessage] = field(default_factory=list)
    deferred: int = 0

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: Any) -> str:
        if address in self.refuse_recipients:
            return "550 5.1.1 Mailbox does not exist"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.deferred < self.defer_first:
            self.deferred += 1
            return "451 4.3.0 Try again later"
        parsed = message_from_bytes(envelope.original_content, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        self.messages.append(parsed)
        return "250 Message accepted for delivery"


@contextmanager
def smtp_server(handler: RecordingSmtpHandler) -> Iterator[dict[str, Any]]:
    """Run aiosmtpd on a free port; yields a MAILERS setting pointing Django's SMTP backend at it."""
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield {
            "default": {
                "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
                "OPTIONS": {"host": "127.0.0.1", "port": port, "timeout": 5},
            }
        }
    finally:
        controller.stop()


@dataclass
class RecordedRequest:
    path: str
    headers: dict[str, str]
    json: Any


class ScriptedHttpServer:
    """Answers POSTs with a scripted sequence of (status, JSON body); the last answer repeats."""

    def __init__(self, answers: list[tuple[int, dict[str, Any]]]) -> None:
        self.answers = list(answers)
        self.requests: list[RecordedRequest] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length)
                outer.requests.append(
                    RecordedRequest(path=self.path, headers=dict(self.headers.items()), json=json.loads(body))
                )
                index = min(len(outer.requests), len(outer.answers)) - 1
                status, payload = outer.answers[index]
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/api/send"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> ScriptedHttpServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


@contextmanager
def http_sms_gateway(answers: list[tuple[int, dict[str, Any]]], token: str = "t") -> Iterator[ScriptedHttpServer]:
    """A scripted gateway with ``SMS_BACKEND=http`` pointed at it for the duration."""
    from django.test import override_settings

    with (
        ScriptedHttpServer(answers) as gateway,
        override_settings(SMS_BACKEND="http", SMS_GATEWAY_URL=gateway.url, SMS_GATEWAY_TOKEN=token),
    ):
        yield gateway
