"""Helpers for the VNPay sandbox tests: a merchant building pay URLs with the protocol codec, a payer
walking the pages with Django's test client, and a real HTTP server on localhost standing in for the
merchant's IPN endpoint."""

from __future__ import annotations

import json
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from django.test import Client
from django.urls import reverse

from civicpay.core import clock
from civicpay.payments.providers import vnpay_protocol as vnp

TMN = "CIVICPAY1"
SECRET = "CIVICPAYSANDBOXSECRET2026VNPAY01"
RETURN_URL = "https://civicpay.example/thanh-toan/vnpay/return/"
SUCCESS_CARD = "9704198526191432198"
INSUFFICIENT_CARD = "9704195798459170488"
TIMEOUT_CARD = "9704198526191430011"
TWICE_CARD = "9704198526191430022"
LATE_CARD = "9704198526191430055"


def pay_url(*, txn_ref: str = "H26.0001-1", amount_vnd: int = 150_000, **overrides: Any) -> str:
    """A pay URL exactly as a merchant builds it (path only, for the test client)."""
    now = clock.now()
    args: dict[str, Any] = {
        "base_url": reverse("sandbox:vnpay:pay"),
        "tmn_code": TMN,
        "secret": SECRET,
        "amount_vnd": amount_vnd,
        "txn_ref": txn_ref,
        "order_info": "Thanh toán lệ phí hồ sơ H26.0001",
        "return_url": RETURN_URL,
        "ip_addr": "203.0.113.7",
        "create_date": now,
        "expire_date": now + timedelta(minutes=15),
    }
    args.update(overrides)
    return vnp.build_payment_url(**args)


def query_of(url: str) -> dict[str, str]:
    return dict(parse_qsl(urlsplit(url).query, keep_blank_values=True))


def open_payment(client: Client, url: str | None = None) -> str:
    """Open the pay URL and return the transaction token from the page it redirects to."""
    response = client.get(url or pay_url())
    assert response.status_code == 302, response.content.decode()[:500]
    return query_of(response["Location"])["token"]


def step_url(name: str, token: str) -> str:
    return f"{reverse(f'sandbox:vnpay:{name}')}?token={token}"


def choose_bank_and_card(client: Client, token: str, *, bank: str = "NCB", number: str = SUCCESS_CARD) -> Any:
    response = client.post(step_url("method", token), {"bank_code": bank})
    assert response.status_code == 302
    return client.post(
        step_url("card", token), {"card_number": number, "card_holder": "NGUYEN VAN A", "issue_date": "07/15"}
    )


def pay(client: Client, *, number: str = SUCCESS_CARD, url: str | None = None) -> Any:
    """The whole journey with the right OTP; returns the final response (usually the redirect back)."""
    token = open_payment(client, url)
    response = choose_bank_and_card(client, token, number=number)
    assert response.status_code == 302, response.content.decode()[:2000]
    return client.post(step_url("otp", token), {"otp": "123456"})


class MerchantServer:
    """A merchant's IPN endpoint on localhost: answers GETs with scripted (status, body); the last repeats."""

    def __init__(self, answers: list[tuple[int, Any]]) -> None:
        self.answers = list(answers)
        self.queries: list[dict[str, str]] = []
        self.raw_queries: list[str] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                query = urlsplit(self.path).query
                outer.raw_queries.append(query)
                outer.queries.append(dict(parse_qsl(query, keep_blank_values=True)))
                status, payload = outer.answers[min(len(outer.queries), len(outer.answers)) - 1]
                data = payload.encode() if isinstance(payload, str) else json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/thanh-toan/vnpay/ipn/"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> MerchantServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
