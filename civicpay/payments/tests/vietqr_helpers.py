"""Test helpers for VietQR transfers: started VietQR payments and signed bank notifications."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.conf import settings
from django.test import Client

from civicpay.core import clock
from civicpay.payments.models import Payment
from civicpay.payments.providers import signed_protocol as sp
from civicpay.payments.providers.vietqr_transfer import transfer_memo
from civicpay.payments.tests.helpers import make_payment, spec
from civicpay.payments.types import PayableSpec

NOTIFY_URL = "/thanh-toan/vietqr/notify/"
_counter = iter(range(1, 10**9))


def make_vietqr_payment(*specs: PayableSpec, **overrides: Any) -> Payment:
    return make_payment(*(specs or (spec(),)), provider="vietqr", **overrides)


def bank_notification(
    *,
    amount: int,
    memo: str = "",
    payment: Payment | None = None,
    bank_transaction_id: str | None = None,
    account: str | None = None,
    transferred_at: datetime | None = None,
    secret: str | None = None,
    **extra: object,
) -> dict[str, str]:
    """The signed JSON body the bank posts (memo defaults to ``payment``'s memo when one is given)."""
    params: dict[str, object] = {
        "bank_transaction_id": bank_transaction_id or f"FT26112200{next(_counter):06d}",
        "account": account or settings.VIETQR_ACCOUNT_NO,
        "amount": amount,
        "memo": memo or (transfer_memo(payment.reference) if payment else ""),
        "transferred_at": clock.local(transferred_at or clock.now()).isoformat(timespec="seconds"),
        "sender_name": "NGUYEN VAN AN",
        "sender_account": "0123456789",
        **extra,
    }
    return sp.signed(params, secret or settings.VIETQR_NOTIFY_SECRET)


def post_notification(client: Client, body: dict[str, str]) -> str:
    response = client.post(NOTIFY_URL, body, content_type="application/json")
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "application/json"
    return str(response.json()["code"])
