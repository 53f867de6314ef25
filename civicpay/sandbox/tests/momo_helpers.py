"""Helpers for the MoMo sandbox tests: signed API requests as a merchant sends them, a merchant's IPN
endpoint on localhost (a real HTTP server that records POSTed JSON)."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from django.conf import settings
from django.test import Client

from civicpay.payments.providers import momo_protocol as momo

PARTNER = "CIVICPAYMOMO1"


def keys() -> tuple[str, str]:
    return settings.SANDBOX_MOMO_ACCESS_KEY, settings.SANDBOX_MOMO_SECRET_KEY


def create_body(*, order_id: str = "HS0001-1", request_id: str | None = None, amount: object = 210_000,
                ipn_url: str = "http://127.0.0.1:9/thanh-toan/momo/ipn/", **overrides: Any) -> dict[str, object]:  # fmt: skip
    access_key, secret = keys()
    body: dict[str, object] = {
        "partnerCode": PARTNER,
        "requestId": request_id or f"{order_id}-r",
        "amount": amount,
        "orderId": order_id,
        "orderInfo": "Thanh toán lệ phí hồ sơ HS0001",
        "redirectUrl": "http://merchant.example/thanh-toan/momo/return/",
        "ipnUrl": ipn_url,
        "requestType": "captureWallet",
        "extraData": "",
        "lang": "vi",
        **overrides,
    }
    return momo.signed(momo.CREATE_FIELDS, body, access_key=access_key, secret=secret)


def api(client: Client, name: str, body: object) -> tuple[int, dict[str, Any]]:
    response = client.post(
        f"/sandbox/momo/v2/gateway/api/{name}", data=json.dumps(body), content_type="application/json"
    )
    return response.status_code, response.json()


def create(client: Client, **kwargs: Any) -> dict[str, Any]:
    status, answer = api(client, "create", create_body(**kwargs))
    assert status == 200, answer
    return answer


def pay_path(answer: dict[str, Any]) -> str:
    parts = urlsplit(answer["payUrl"])
    return f"{parts.path}?{parts.query}"


def redirect_params(location: str) -> dict[str, str]:
    return dict(parse_qsl(urlsplit(location).query, keep_blank_values=True))


class MerchantServer:
    """A merchant's IPN endpoint: answers POSTs with scripted HTTP statuses; the last one repeats."""

    def __init__(self, statuses: list[int]) -> None:
        self.statuses = list(statuses)
        self.bodies: list[dict[str, Any]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                outer.bodies.append(json.loads(self.rfile.read(length)))
                status = outer.statuses[min(len(outer.bodies), len(outer.statuses)) - 1]
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/thanh-toan/momo/ipn/"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> MerchantServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
