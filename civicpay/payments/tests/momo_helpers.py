"""Helpers for the MoMo tests: payments through the adapter, the sandbox's pages, signed IPNs."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import httpx
from django.conf import settings
from django.test import Client

from civicpay.core import clock
from civicpay.payments.models import Payment
from civicpay.payments.providers import momo_protocol as momo
from civicpay.payments.services import payment_create, payment_start
from civicpay.payments.tests.helpers import spec

SUFFICIENT_WALLET = "0912345678"
INSUFFICIENT_WALLET = "0987654321"


def momo_payment(*, fee: int = 150_000, charge: int = 60_000, payable_id: str = "1") -> tuple[Payment, str]:
    """A MoMo payment started through the adapter (an HTTP create call to the sandbox): (payment, payUrl)."""
    payment = payment_create(
        items=[spec(payable_id, fee=fee, charge=charge)],
        provider="momo",
        payer_user=None,
        payer_name="Nguyễn Văn An",
        payer_email="an@example.vn",
        payer_phone="0912345678",
        return_url="/thanh-toan/ket-qua/",
        client_ip="203.0.113.5",
    )
    start = payment_start(payment=payment, client_ip="203.0.113.5")
    payment.refresh_from_db()
    return payment, start.redirect_url


def press(client: Client, pay_url: str, *, action: str = "confirm", wallet: str = SUFFICIENT_WALLET) -> Any:
    """The payer's click in the sandbox's simulated app; returns the sandbox's response."""
    parts = urlsplit(pay_url)
    return client.post(f"{parts.path}?{parts.query}", {"wallet": wallet, "action": action})


def signed_ipn(payment: Payment, *, result_code: int = 0, amount: int | None = None, secret: str | None = None,
               trans_id: int = 4_000_000_001, response_time_ms: int | None = None) -> dict[str, object]:  # fmt: skip
    """What MoMo POSTs to the IPN URL for ``payment``, signed with the platform's MoMo keys."""
    return momo.result_params(
        partner_code=settings.MOMO_PARTNER_CODE,
        access_key=settings.MOMO_ACCESS_KEY,
        secret=secret or settings.MOMO_SECRET_KEY,
        order_id=payment.reference,
        request_id=f"{payment.reference}-test",
        amount=payment.amount if amount is None else amount,
        order_info=f"Thanh toán {payment.reference}",
        trans_id=trans_id,
        result_code=result_code,
        message=momo.message_for(result_code),
        pay_type="qr",
        response_time_ms=response_time_ms or int(clock.now().timestamp() * 1000),
    )


def post_ipn(base_url: str, body: dict[str, object]) -> httpx.Response:
    return httpx.post(f"{base_url}/thanh-toan/momo/ipn/", json=body, timeout=30)
