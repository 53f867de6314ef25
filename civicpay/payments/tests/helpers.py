"""Test helpers: a payable kind without billing, payments in a given state, signed VNPay messages."""

from __future__ import annotations

import threading
from datetime import datetime
from typing import Any

from django.conf import settings
from django.test import Client
from django.utils import timezone

from civicpay.core import clock
from civicpay.payments.errors import PayableRefused
from civicpay.payments.models import Payment, PaymentItem
from civicpay.payments.providers import vnpay_protocol as vnp
from civicpay.payments.providers.base import Outcome
from civicpay.payments.services import payment_create, payment_record_outcome, payment_start
from civicpay.payments.states import PaymentStatus
from civicpay.payments.types import PayableSpec, RevenueLine

TEST_KIND = "test.payable"
AGENCY = "G22.01"


class RecordingPayable:
    """Paid at most once, like a payment request; refuses (overpayment) after that or when closed."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.paid: dict[str, str] = {}  # payable id → payment reference
        self.closed: set[str] = set()
        self.overpaid: list[tuple[str, str]] = []
        self.success_calls = 0

    def on_success(self, *, item: PaymentItem, payment: Payment) -> None:
        with self.lock:
            self.success_calls += 1
            if item.payable_id in self.closed:
                raise PayableRefused("Khoản thu đã hủy")
            if item.payable_id in self.paid:
                raise PayableRefused(f"Đã thanh toán bởi {self.paid[item.payable_id]}")
            self.paid[item.payable_id] = payment.reference

    def on_overpaid(self, *, item: PaymentItem, payment: Payment, reason: str) -> None:
        with self.lock:
            self.overpaid.append((item.payable_id, payment.reference))


def spec(payable_id: str = "1", *, fee: int = 150_000, charge: int = 60_000, agency: str = AGENCY) -> PayableSpec:
    parts = [(f"revenue:{agency}:fee", fee, "Phí"), (f"revenue:{agency}:charge", charge, "Lệ phí")]
    lines = [RevenueLine(code, amount, label) for code, amount, label in parts if amount]
    return PayableSpec(
        kind=TEST_KIND,
        payable_id=payable_id,
        reference=f"HS-{payable_id} (TB{payable_id})",
        description=f"Hồ sơ HS-{payable_id}",
        amount=fee + charge,
        agency_code=agency,
        revenue_lines=lines,
    )


def make_payment(*specs: PayableSpec, start: bool = True, user: Any = None, **overrides: Any) -> Payment:
    args: dict[str, Any] = {
        "items": list(specs) or [spec()],
        "provider": "vnpay",
        "method": "",
        "payer_user": user,
        "payer_name": "Nguyễn Văn An",
        "payer_email": "an@example.vn",
        "payer_phone": "0912345678",
        "return_url": "/thanh-toan/ket-qua/",
        "client_ip": "203.0.113.5",
    }
    args.update(overrides)
    payment = payment_create(**args)
    if start:
        payment_start(payment=payment, client_ip="203.0.113.5")
        payment.refresh_from_db()
    return payment


def succeed(payment: Payment) -> None:
    """The gateway confirms ``payment`` (as an IPN would, without the HTTP)."""
    outcome = Outcome(
        provider="vnpay",
        reference=payment.reference,
        amount=payment.amount,
        status=PaymentStatus.SUCCESS,
        code="00",
        transaction_no="14422574",
        paid_at=timezone.now(),
    )
    payment_record_outcome(payment=payment, outcome=outcome, source="ipn")


def signed(params: dict[str, str], secret: str | None = None) -> dict[str, str]:
    secret = secret or settings.VNPAY_HASH_SECRET
    return {**params, "vnp_SecureHash": vnp.sign(params, secret)}


def ipn_params(
    payment: Payment,
    *,
    response_code: str = "00",
    transaction_status: str | None = None,
    amount: int | None = None,
    transaction_no: str = "14422574",
    pay_date: datetime | None = None,
    txn_ref: str | None = None,
    secret: str | None = None,
) -> dict[str, str]:
    """What VNPay sends to the IPN URL (and to vnp_ReturnUrl) for ``payment``."""
    params = {
        "vnp_Amount": str((payment.amount if amount is None else amount) * 100),
        "vnp_BankCode": "NCB",
        "vnp_BankTranNo": f"VNP{transaction_no}",
        "vnp_CardType": "ATM",
        "vnp_OrderInfo": f"Thanh toan {payment.reference}",
        "vnp_PayDate": vnp.format_date(pay_date or clock.now()),
        "vnp_ResponseCode": response_code,
        "vnp_TmnCode": settings.VNPAY_TMN_CODE,
        "vnp_TransactionNo": transaction_no,
        "vnp_TransactionStatus": transaction_status if transaction_status is not None else response_code,
        "vnp_TxnRef": txn_ref or payment.reference,
    }
    return signed(params, secret)


def send_ipn(client: Client, params: dict[str, str]) -> dict[str, str]:
    response = client.get("/thanh-toan/vnpay/ipn/", params)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    return response.json()


def settle_due() -> int:
    """What the worker does right after a success: settle the payments due (``payments.settle``) and run
    the default queue's tasks, leaving message delivery to the notifications queue. Returns how many
    payments it settled."""
    from civicpay.core.worker import run_pending_tasks
    from civicpay.payments.settlement import payments_settle_pending

    settled = payments_settle_pending()
    run_pending_tasks(queue_names=["default"])
    return settled


def storm(requests: list[dict[str, Any]], *, concurrency: int) -> list[Any]:
    """Send ``requests`` (keyword arguments of ``httpx.Client.request``: method, url, params, content,
    json, headers) from ``concurrency`` threads at once, each on a new connection, while a worker settles
    beside them as in production; the responses in order.

    Each thread has its own client: one shared httpx connection pool across threads can race under such
    a load (encode/httpcore#550; seen here once as "[Errno 9] Bad file descriptor" on PostgreSQL)."""
    from concurrent.futures import ThreadPoolExecutor

    import httpx

    from civicpay.core.worker import BackgroundWorker

    local = threading.local()
    clients: list[httpx.Client] = []
    guard = threading.Lock()

    def send(kwargs: dict[str, Any]) -> httpx.Response:
        client = getattr(local, "client", None)
        if client is None:
            client = httpx.Client(timeout=60, limits=httpx.Limits(max_connections=1, max_keepalive_connections=0))
            local.client = client
            with guard:
                clients.append(client)
        return client.request(**kwargs)

    try:
        with BackgroundWorker(queue_names=["default"]), ThreadPoolExecutor(max_workers=concurrency) as pool:
            return list(pool.map(send, requests))
    finally:
        for client in clients:
            client.close()
