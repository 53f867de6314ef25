"""A real HTTP server on localhost that answers VNPay's merchant_webapi (querydr, refund).

Request hashes are checked with the field orders from VNPay's querydr&refund page (and
lehuygiang28/vnpay ``src/services/query.service.ts``); answers are signed the way
``vnpay_protocol.verify_api_response`` checks them. Used instead of mocking httpx.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from civicpay.payments.providers import vnpay_protocol as vnp

QUERYDR_FIELDS = (
    "RequestId",
    "Version",
    "Command",
    "TmnCode",
    "TxnRef",
    "TransactionDate",
    "CreateDate",
    "IpAddr",
    "OrderInfo",
)
REFUND_FIELDS = (
    "RequestId", "Version", "Command", "TmnCode", "TransactionType", "TxnRef", "Amount", "TransactionNo",
    "TransactionDate", "CreateBy", "CreateDate", "IpAddr", "OrderInfo",
)  # fmt: skip


def _hmac(secret: str, data: str) -> str:
    return hmac.new(secret.encode(), data.encode(), hashlib.sha512).hexdigest()


@dataclass
class Answer:
    response_code: str = "00"
    transaction_status: str = "00"
    amount: int | None = None  # VND; None = what was asked… querydr does not send it, so the test sets it
    transaction_no: str = "14422574"
    pay_date: str = "20261122091806"


@dataclass
class FakeVnpayApi:
    tmn_code: str
    secret: str
    answers: dict[str, Answer] = field(default_factory=dict)
    requests: list[dict[str, Any]] = field(default_factory=list)
    delay: float = 0.0
    sign_answers: bool = True
    status: int = 200

    def start(self) -> str:
        api = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                api.requests.append(body)
                if api.delay:
                    time.sleep(api.delay)
                answer = api.answer(body)
                data = json.dumps(answer).encode()
                self.send_response(api.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        return f"http://127.0.0.1:{self.server.server_address[1]}/merchant_webapi/api/transaction"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def answer(self, body: dict[str, Any]) -> dict[str, Any]:
        command = body.get("vnp_Command")
        fields = QUERYDR_FIELDS if command == "querydr" else REFUND_FIELDS
        expected = _hmac(self.secret, "|".join(str(body.get(f"vnp_{name}", "")) for name in fields))
        if body.get("vnp_SecureHash") != expected or body.get("vnp_TmnCode") != self.tmn_code:
            return {
                "vnp_ResponseId": "x",
                "vnp_Command": command,
                "vnp_ResponseCode": "97",
                "vnp_Message": "Invalid Checksum",
            }
        known = self.answers.get(body["vnp_TxnRef"])
        if known is None:
            reply: dict[str, Any] = {"vnp_ResponseCode": "91", "vnp_Message": "Khong tim thay giao dich yeu cau"}
            known = Answer(transaction_status="", transaction_no="", pay_date="", amount=0)
        else:
            reply = {"vnp_ResponseCode": known.response_code, "vnp_Message": "QueryDR Success"}
        reply = {
            "vnp_ResponseId": "b1a0c7d1e2",
            "vnp_Command": command,
            **reply,
            "vnp_TmnCode": self.tmn_code,
            "vnp_TxnRef": body["vnp_TxnRef"],
            "vnp_Amount": str((known.amount or 0) * 100) if command == "querydr" else body["vnp_Amount"],
            "vnp_BankCode": "NCB",
            "vnp_PayDate": known.pay_date,
            "vnp_TransactionNo": known.transaction_no,
            "vnp_TransactionType": "01" if command == "querydr" else body["vnp_TransactionType"],
            "vnp_TransactionStatus": known.transaction_status,
            "vnp_OrderInfo": body["vnp_OrderInfo"],
        }
        if command == "querydr":
            reply.update({"vnp_PromotionCode": "", "vnp_PromotionAmount": ""})
        if self.sign_answers:
            reply["vnp_SecureHash"] = _hmac(self.secret, vnp.response_hash_data(reply) or "")
        return reply
